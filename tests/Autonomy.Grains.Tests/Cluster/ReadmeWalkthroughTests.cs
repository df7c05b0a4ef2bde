using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Autonomy.Tests.Cluster;

/// <summary>
/// The README's five-minute walkthrough, run as a new user runs it: its bash block, taken from README.md as it is
/// now, against the built gateway started in embedded mode on a fresh data directory, with curl. Only what cannot
/// be literal changes: the built host instead of <c>dotnet run --project src/Gateway</c> (which would rebuild), a free
/// port, and the README's <c>sleep 1</c> made a wait for the run it waits for (this machine may be slower than the
/// reader's); every command and payload is the README's own.
/// </summary>
public sealed partial class ReadmeWalkthroughTests
{
    [Fact]
    public async Task TheWalkthroughWorksAsWritten()
    {
        var readme = await File.ReadAllTextAsync(Repository.PathOf("README.md"));
        var dir = Directory.CreateTempSubdirectory("autonomy-walkthrough-");
        try
        {
            var port = Loopback.FreePort();
            var environment = new Dictionary<string, string> { ["Autonomy__DataDirectory"] = Path.Combine(dir.FullName, "data") };
            await using var gateway = HostProcess.Start("gateway", ProcessCluster.HostDll("Gateway"), port, [], environment);
            await gateway.WaitReadyAsync();

            var (exit, output, errors) = await RunAsync(Prepare(Walkthrough(readme), port), dir.FullName, environment);

            Assert.True(exit == 0, $"exit {exit}:\n{output}\n{errors}\n{gateway.Log}");
            var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.DoesNotContain(lines, l => ProblemStatus().IsMatch(l));
            Assert.Contains(lines, l => l.Contains("\"actionType\":\"CREATE_TASK\"", StringComparison.Ordinal) && l.Contains("\"autonomous\":true", StringComparison.Ordinal)
                && l.Contains("\"status\":\"SUCCEEDED\"", StringComparison.Ordinal) && l.Contains("\"reason\":\"ALLOWED_BY_POLICY\"", StringComparison.Ordinal));
            Assert.Contains(lines, l => l.Contains("\"actionType\":\"SEND_EMAIL\"", StringComparison.Ordinal) && l.Contains("\"reason\":\"EXTERNAL_CONTACT\"", StringComparison.Ordinal)
                && l.Contains("\"argsDigest\":\"sha256:", StringComparison.Ordinal));
            Assert.Contains(lines, l => l.Contains("POLICY_EVALUATED", StringComparison.Ordinal) && l.Contains("AutoApprovalPolicyV1", StringComparison.Ordinal));
            Assert.Contains(lines, l => l.StartsWith('{') && l.Contains("\"actionType\":\"SEND_EMAIL\"", StringComparison.Ordinal) && l.Contains("\"autonomous\":false", StringComparison.Ordinal));
            Assert.Contains(lines, l => l.Contains("\"engaged\":true", StringComparison.Ordinal));
            Assert.Contains("\"ok\":true", lines[^1], StringComparison.Ordinal);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    /// <summary>The first bash block under "A five-minute walkthrough".</summary>
    private static string Walkthrough(string readme)
    {
        var section = readme.IndexOf("## A five-minute walkthrough", StringComparison.Ordinal);
        Assert.True(section >= 0, "README.md has no walkthrough section");
        var start = readme.IndexOf("```bash\n", section, StringComparison.Ordinal) + "```bash\n".Length;
        return readme[start..readme.IndexOf("\n```", start, StringComparison.Ordinal)];
    }

    private static string Prepare(string script, int port)
    {
        Assert.Contains("dotnet run --project src/Gateway --", script, StringComparison.Ordinal);
        Assert.Contains("http://127.0.0.1:5080", script, StringComparison.Ordinal);
        Assert.Contains("\nsleep 1\n", script, StringComparison.Ordinal);
        var body = script
            .Replace("dotnet run --project src/Gateway --", $"dotnet \"{ProcessCluster.HostDll("Gateway")}\"", StringComparison.Ordinal)
            .Replace("http://127.0.0.1:5080", $"http://127.0.0.1:{port}", StringComparison.Ordinal)
            .Replace("\nsleep 1\n", "\nfor i in $(seq 1 300); do command curl -s $B/sellers/seller-1/timeline -H \"Authorization: Bearer $SELLER\" | grep -q CREATE_TASK && break; sleep 0.1; done\n", StringComparison.Ordinal);

        // Each response on a line of its own (the README's own output has no separators), failing loudly on a refused connection.
        return "set -u\ncurl() { command curl -sS -w '\\n' \"$@\"; }\n" + body + "\n";
    }

    private static async Task<(int Exit, string Output, string Errors)> RunAsync(string script, string directory, IReadOnlyDictionary<string, string> environment)
    {
        var file = Path.Combine(directory, "walkthrough.sh");
        await File.WriteAllTextAsync(file, script);
        var psi = new ProcessStartInfo("bash", [file]) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var (name, value) in environment)
        {
            psi.Environment[name] = value;
        }

        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout, await stderr);
    }

    [GeneratedRegex("\"status\":[45][0-9][0-9]")]
    private static partial Regex ProblemStatus();
}
