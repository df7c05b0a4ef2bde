using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;

namespace Autonomy.Tests.Support;

/// <summary>
/// Real processes on loopback: silo and gateway hosts started from the solution's build output with
/// <c>dotnet</c>, the way an operator runs them by hand against an existing PostgreSQL.
/// </summary>
public sealed class ProcessCluster : IAsyncDisposable
{
    public const string SigningKey = "process-cluster-test-signing-key-0123456789";

    private readonly List<HostProcess> _hosts = [];
    private readonly string _connectionString;
    private readonly string _serviceId = "proc-" + Guid.NewGuid().ToString("N")[..8];

    public ProcessCluster(string connectionString) => _connectionString = connectionString;

    public IReadOnlyList<HostProcess> Hosts => _hosts;

    /// <summary>The Orleans service and cluster id of this cluster (the membership table's DeploymentId).</summary>
    public string ClusterId => _serviceId;

    /// <summary>The built host of the same configuration as these tests (./test.sh builds the whole solution first).</summary>
    public static string HostDll(string project)
    {
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
        var path = Path.Combine(Repository.Root(), "src", project, "bin", configuration, "net10.0", $"Autonomy.{project}.dll");
        return File.Exists(path) ? path : throw new InvalidOperationException($"{path} is missing: build the solution first (./test.sh does).");
    }

    /// <summary>A silo process, waited for; <paramref name="args"/> are settings of its own (e.g. <c>--Autonomy:Webhooks:AllowPrivateNetworks=true</c>).</summary>
    public async Task<HostProcess> StartSiloAsync(string name, params string[] args)
    {
        var http = Loopback.FreePort();
        var host = HostProcess.Start(name, HostDll("Silo"), http,
        [
            .. Common(),
            $"--Autonomy:SiloPort={Loopback.FreePort()}",
            $"--Autonomy:GatewayPort={Loopback.FreePort()}",
            .. args,
        ]);
        _hosts.Add(host);
        await host.WaitReadyAsync();
        return host;
    }

    public async Task<HostProcess> StartGatewayAsync(string name)
    {
        var host = StartGateway(name);
        await host.WaitReadyAsync();
        return host;
    }

    /// <summary>A gateway process, not waited for: it may start before any silo. Settings may come from the environment instead of arguments.</summary>
    public HostProcess StartGateway(string name, IReadOnlyDictionary<string, string>? environment = null, params string[] args)
    {
        var host = HostProcess.Start(name, HostDll("Gateway"), Loopback.FreePort(),
            [.. Common(), .. environment is null ? [$"--Auth:SigningKey={SigningKey}"] : Array.Empty<string>(), "--Logging:LogLevel:Autonomy.Gateway.Infrastructure.SiloLossRetryFilter=Information", .. args],
            environment);
        _hosts.Add(host);
        return host;
    }

    /// <summary>A token minted by the gateway's own command.</summary>
    public static async Task<string> MintAsync(string tenant, string role, string sub, IReadOnlyDictionary<string, string>? environment = null)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        string[] key = environment is null ? [$"--Auth:SigningKey={SigningKey}"] : [];
        foreach (var arg in new[] { HostDll("Gateway"), "mint-token", "--tenant", tenant, "--role", role, "--sub", sub }.Concat(key))
        {
            psi.ArgumentList.Add(arg);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            psi.Environment[name] = value;
        }

        using var process = Process.Start(psi)!;
        var token = (await process.StandardOutput.ReadToEndAsync()).Trim();
        await process.WaitForExitAsync();
        return process.ExitCode == 0 ? token : throw new InvalidOperationException(await process.StandardError.ReadToEndAsync());
    }

    private string[] Common() =>
    [
        "--Autonomy:Mode=Cluster",
        $"--ConnectionStrings:Autonomy={_connectionString}",
        $"--Autonomy:Ledger:CheckpointSigningKey={TestCheckpointKeys.SigningKey}",
        $"--Autonomy:Ledger:CheckpointPublicKeys={TestCheckpointKeys.PublicKey}",
        $"--Autonomy:DataProtection:KeyDirectory={KeyDirectory}",
        $"--Autonomy:ServiceId={_serviceId}",
        $"--Autonomy:ClusterId={_serviceId}",
        "--Logging:LogLevel:Default=Warning",

        // No Orleans tuning: failure detection and timeouts are the shipped defaults (MembershipDefaults), as an
        // operator who configures nothing runs them.
    ];

    /// <summary>The key ring every silo of the cluster shares for tenant secrets at rest.</summary>
    public string KeyDirectory => Path.Combine(Path.GetTempPath(), $"autonomy-{_serviceId}-keys");

    public async ValueTask DisposeAsync()
    {
        foreach (var host in _hosts)
        {
            await host.DisposeAsync();
        }

        if (Directory.Exists(KeyDirectory))
        {
            Directory.Delete(KeyDirectory, recursive: true);
        }
    }
}

/// <summary>One host process, its HTTP base address, and its output kept for failure messages.</summary>
public sealed class HostProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();

    private HostProcess(string name, Process process, Uri address)
    {
        Name = name;
        _process = process;
        Address = address;
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string Name { get; }

    public Uri Address { get; }

    public bool HasExited => _process.HasExited;

    /// <summary>The operating system's process id.</summary>
    public int Id => _process.Id;

    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    public static HostProcess Start(string name, string dll, int httpPort, IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(dll);
        psi.ArgumentList.Add($"--urls=http://127.0.0.1:{httpPort}");
        foreach (var arg in args)
        {
            psi.ArgumentList.Add(arg);
        }

        psi.Environment["DOTNET_ENVIRONMENT"] = "Production";
        psi.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        foreach (var (variable, value) in environment ?? new Dictionary<string, string>())
        {
            psi.Environment[variable] = value;
        }

        return new HostProcess(name, Process.Start(psi)!, new Uri($"http://127.0.0.1:{httpPort}"));
    }

    public async Task WaitReadyAsync()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        try
        {
            await Eventually.UntilAsync(() => IsReadyAsync(http), TimeSpan.FromSeconds(90), $"{Name} to be ready", TimeSpan.FromMilliseconds(200));
        }
        catch (TimeoutException timeout)
        {
            throw new TimeoutException($"{Name} was not ready within 90 s:\n{Log}", timeout);
        }
    }

    private async Task<bool> IsReadyAsync(HttpClient http)
    {
        if (_process.HasExited)
        {
            throw new InvalidOperationException($"{Name} exited with {_process.ExitCode}:\n{Log}");
        }

        try
        {
            return (await http.GetAsync(new Uri(Address, "/health/ready"))).IsSuccessStatusCode;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            // Not listening, or not answering, yet.
            return false;
        }
    }

    /// <summary>An HTTP client of this host that sends <paramref name="token"/> as its bearer token (30 s per request unless told).</summary>
    public HttpClient Client(string token, TimeSpan? timeout = null)
    {
        var client = new HttpClient { BaseAddress = Address, Timeout = timeout ?? TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    /// <summary>SIGKILL: no graceful shutdown, no goodbye to the membership table.</summary>
    public void KillHard() => _process.Kill(entireProcessTree: true);

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_log)
        {
            _log.AppendLine(line);
        }
    }
}
