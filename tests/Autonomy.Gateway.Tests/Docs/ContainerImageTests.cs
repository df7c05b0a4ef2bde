using Autonomy.Tests.Support;

namespace Autonomy.Gateway.Tests.Docs;

/// <summary>
/// The images run as the .NET images' non-root user, with the data directory theirs to write. No docker engine
/// runs these tests, so they read the Dockerfiles and the compose file as a reviewer would.
/// </summary>
public sealed class ContainerImageTests
{
    [Theory]
    [InlineData("deploy/Dockerfile.gateway")]
    [InlineData("deploy/Dockerfile.silo")]
    public void TheImageRunsAsTheNonRootAppUserWithItsDataDirectoryWritable(string dockerfile)
    {
        var lines = File.ReadAllLines(Repository.PathOf(dockerfile)).Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')).ToList();
        var final = lines.Skip(lines.FindLastIndex(l => l.StartsWith("FROM ", StringComparison.Ordinal))).ToList();

        var user = final.FindLastIndex(l => l.StartsWith("USER ", StringComparison.Ordinal));
        var entry = final.FindIndex(l => l.StartsWith("ENTRYPOINT", StringComparison.Ordinal));
        Assert.True(user >= 0 && user < entry, $"{dockerfile}: the final stage has no USER before its ENTRYPOINT");
        Assert.Equal("USER $APP_UID", final[user]);
        Assert.DoesNotContain(final.Skip(user), l => l.StartsWith("USER ", StringComparison.Ordinal) && l != "USER $APP_UID");

        // The default data directory (./data under WORKDIR /app) is created and handed to the app user before USER.
        var chown = final.FindIndex(l => l.Contains("chown", StringComparison.Ordinal) && l.Contains("/app/data", StringComparison.Ordinal));
        Assert.True(chown >= 0 && chown < user, $"{dockerfile}: /app/data is not created and given to the app user before USER");
        Assert.Contains("WORKDIR /app", final);
    }

    [Fact]
    public void TheComposeFileMountsNothingTheAppUserCannotWrite()
    {
        var compose = File.ReadAllLines(Repository.PathOf("docker-compose.yml"));

        // Only PostgreSQL's own volume (its image's user) is mounted; a volume for silo or gateway belongs under /app/data.
        var mounts = compose.Select(l => l.Trim()).Where(l => l.StartsWith("- ", StringComparison.Ordinal) && l.Contains(":/", StringComparison.Ordinal)).ToList();
        Assert.All(mounts, m => Assert.True(
            m.EndsWith(":/var/lib/postgresql/data", StringComparison.Ordinal) || m.Contains(":/app/data", StringComparison.Ordinal),
            $"docker-compose.yml mounts {m}: the services run as UID 1654 and may write only under /app/data"));
        Assert.DoesNotContain(compose, l => l.Contains("user:", StringComparison.Ordinal) && (l.Contains("root", StringComparison.Ordinal) || l.Contains("\"0", StringComparison.Ordinal)));
    }
}
