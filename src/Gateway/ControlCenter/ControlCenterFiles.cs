using Microsoft.Extensions.FileProviders;

namespace Autonomy.Gateway.ControlCenter;

/// <summary>
/// The control center: plain HTML, CSS and JavaScript modules (<c>ControlCenter/site</c>) embedded in the gateway's
/// assembly, so <c>dotnet run</c>, the built binary and the published image serve the same files whatever the working
/// directory, with no build step and nothing fetched from elsewhere. <c>/</c> answers <c>index.html</c>; the pages
/// call the <c>/v1</c> API with the bearer token. The files are public (they hold no data); every call they make is
/// authorized as any other API call.
/// </summary>
public static class ControlCenterFiles
{
    /// <summary>The resource names' prefix: the root namespace and the folder the files sit in.</summary>
    private const string ResourceRoot = "Autonomy.Gateway.ControlCenter.site";

    public static IApplicationBuilder UseControlCenter(this IApplicationBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var files = new EmbeddedFileProvider(typeof(ControlCenterFiles).Assembly, ResourceRoot);
        app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = files });
        return app.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = files,

            // A new gateway version serves new pages at once: the browser revalidates (ETag) instead of guessing.
            OnPrepareResponse = context => context.Context.Response.Headers.CacheControl = "no-cache",
        });
    }
}
