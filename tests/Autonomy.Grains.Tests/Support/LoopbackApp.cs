using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Autonomy.Tests.Support;

/// <summary>The fake endpoints the silo calls (a webhook receiver, a tenant's system, a chat model): minimal web apps on loopback.</summary>
public static class LoopbackApp
{
    /// <summary>A web app to map routes on; once started it listens on a loopback port of the system's choice.</summary>
    public static WebApplication Create(Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        configure?.Invoke(builder);
        return builder.Build();
    }

    /// <summary>The started app's base address, <c>http://127.0.0.1:port</c>.</summary>
    public static string Address(this WebApplication app) =>
        app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
}
