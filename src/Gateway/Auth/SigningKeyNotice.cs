namespace Autonomy.Gateway.Auth;

/// <summary>Says at start where the generated signing key is, so an operator knows what to back up or rotate.</summary>
public sealed class SigningKeyNotice(string path, ILogger<SigningKeyNotice> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        logger.LogInformation(
            "Tokens are signed with the generated key in {KeyFile} (no Auth:SigningKey configured); mint-token run from the same directory uses it too",
            path);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
