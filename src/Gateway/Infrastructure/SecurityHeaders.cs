namespace Autonomy.Gateway.Infrastructure;

/// <summary>
/// Safe by default: every response, API and pages alike, carries a Content-Security-Policy that allows scripts,
/// styles and connections from the gateway's own origin only (no inline script or style, no framing, no plugins),
/// <c>nosniff</c> and <c>no-referrer</c>. Set when the response starts, so the exception handler clearing a failed
/// response's headers cannot drop them.
/// </summary>
public static class SecurityHeaders
{
    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
        "frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'";

    public static IApplicationBuilder UseSecurityHeaders(this IApplicationBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        return app.Use((context, next) =>
        {
            var response = context.Response;
            response.OnStarting(() =>
            {
                // The Orleans Dashboard (operator only, off unless enabled) is not our page: its path alone gets its relaxation.
                response.Headers.ContentSecurityPolicy = OperatorDashboard.IsDashboard(context.Request.Path)
                    ? OperatorDashboard.ContentSecurityPolicy
                    : ContentSecurityPolicy;
                response.Headers.XContentTypeOptions = "nosniff";
                response.Headers["Referrer-Policy"] = "no-referrer";
                return Task.CompletedTask;
            });
            return next(context);
        });
    }
}
