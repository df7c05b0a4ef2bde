using System.Globalization;
using Autonomy.Gateway.Auth;
using Autonomy.Hosting;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Http.HttpResults;
using Orleans.Dashboard;

namespace Autonomy.Gateway.Infrastructure;

/// <summary>
/// The Orleans Dashboard at <c>/dashboard/</c> for the <c>operator</c> role, when <c>Autonomy:Dashboard:Enabled</c> is
/// true (<see cref="OperatorDashboardOptions"/>); otherwise nothing is mapped (404). The dashboard's page calls its
/// own endpoints without an <c>Authorization</c> header, so a browser signs in once with
/// <c>POST /dashboard/session</c> (an operator's bearer token), which sets an HttpOnly, SameSite=Strict cookie scoped
/// to <c>/dashboard</c> that carries the same token until it expires. Only under <c>/dashboard</c> is that cookie read,
/// and the token in it passes every check a bearer token passes. Every dashboard endpoint is a GET that reads.
/// </summary>
public static class OperatorDashboard
{
    public const string Path = "/dashboard";

    public const string SessionCookie = "autonomy-dashboard";

    /// <summary>
    /// The gateway's policy with two relaxations the dashboard's page needs, on its path only: inline style
    /// <em>attributes</em> (not style elements) and <c>data:</c> fonts. Scripts stay <c>'self'</c>, nothing inline runs.
    /// </summary>
    public const string ContentSecurityPolicy = SecurityHeaders.ContentSecurityPolicy + "; style-src-attr 'unsafe-inline'; font-src 'self' data:";

    public static WebApplicationBuilder AddOperatorDashboard(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (!OperatorDashboardOptions.IsEnabled(builder.Configuration))
        {
            return builder;
        }

        // After AddGatewayAuth's own events: the cookie is a token source for the dashboard's paths only.
        builder.Services.PostConfigure<JwtBearerOptions>(CachedBearerHandler.ValidatingScheme, jwt =>
        {
            var events = jwt.Events ?? new JwtBearerEvents();
            var received = events.OnMessageReceived;
            events.OnMessageReceived = async context =>
            {
                await received(context);
                var request = context.Request;
                if (context.Token is null && IsDashboard(request.Path) && !request.Headers.ContainsKey("Authorization")
                    && request.Cookies.TryGetValue(SessionCookie, out var token) && token.Length > 0)
                {
                    context.Token = token;
                }
            };
            jwt.Events = events;
        });
        return builder;
    }

    public static WebApplication MapOperatorDashboard(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        if (!OperatorDashboardOptions.IsEnabled(app.Configuration))
        {
            return app;
        }

        app.MapOrleansDashboard(Path).RequireAuthorization(Access.Operator).ExcludeFromDescription();
        app.MapPost($"{Path}/session", StartSession).RequireAuthorization(Access.Operator).WithName("StartDashboardSession").ExcludeFromDescription();
        return app;
    }

    public static bool IsDashboard(PathString path) => path.StartsWithSegments(Path, StringComparison.OrdinalIgnoreCase);

    /// <summary>Sets the dashboard's session cookie to the caller's (validated) bearer token, until the token expires.</summary>
    public static NoContent StartSession(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var header = context.Request.Headers.Authorization.ToString();
        var token = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
            ? header["Bearer ".Length..].Trim()
            : context.Request.Cookies[SessionCookie] ?? "";
        var expires = long.TryParse(context.User.FindFirst("exp")?.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var exp)
            ? DateTimeOffset.FromUnixTimeSeconds(exp)
            : (context.RequestServices.GetService<TimeProvider>() ?? TimeProvider.System).GetUtcNow().AddHours(1);
        context.Response.Cookies.Append(SessionCookie, token, new CookieOptions
        {
            Path = Path,
            HttpOnly = true,
            SameSite = SameSiteMode.Strict,
            Secure = context.Request.IsHttps,
            Expires = expires,
            IsEssential = true,
        });
        return TypedResults.NoContent();
    }
}
