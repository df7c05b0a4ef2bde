using Microsoft.Extensions.Options;

namespace Autonomy.Gateway.Auth;

/// <summary>Warns at start when the gateway runs with the development signing key of appsettings.json.</summary>
public sealed class DevelopmentKeyWarning(IOptions<AuthOptions> auth, IHostEnvironment environment, ILogger<DevelopmentKeyWarning> logger) : IHostedService
{
    public const string Marker = "DEVELOPMENT-ONLY";

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (!environment.IsDevelopment() && auth.Value.SigningKey.StartsWith(Marker, StringComparison.Ordinal))
        {
            logger.LogWarning(
                "Auth:SigningKey is the development key from appsettings.json (environment {Environment}); anyone can mint tokens with it. Set Auth__SigningKey.",
                environment.EnvironmentName);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
