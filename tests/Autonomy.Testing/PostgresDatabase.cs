using Npgsql;

namespace Autonomy.Tests.Support;

/// <summary>
/// A throw-away database <c>autonomy_test_{guid}</c> on the test PostgreSQL server, dropped on dispose. The
/// server comes from the environment variable <see cref="ServerVariable"/> (an Npgsql connection string
/// without a database), or the local development server.
/// </summary>
public sealed class PostgresDatabase : IAsyncDisposable
{
    public const string ServerVariable = "AUTONOMY_TEST_POSTGRES";

    public const string DefaultServer = "Host=127.0.0.1;Port=5432;Username=autonomy;Password=autonomy";

    private readonly string _server;

    private PostgresDatabase(string server, string name)
    {
        _server = server;
        Name = name;
        ConnectionString = new NpgsqlConnectionStringBuilder(server) { Database = name }.ConnectionString;
    }

    /// <summary>The database name.</summary>
    public string Name { get; }

    /// <summary>An Npgsql connection string to the database.</summary>
    public string ConnectionString { get; }

    /// <summary>The server's connection string, without a database.</summary>
    public static string Server =>
        Environment.GetEnvironmentVariable(ServerVariable) is { Length: > 0 } server ? server : DefaultServer;

    public static async Task<PostgresDatabase> CreateAsync()
    {
        var database = new PostgresDatabase(Server, "autonomy_test_" + Guid.NewGuid().ToString("N"));
        await database.ExecuteOnServerAsync($"CREATE DATABASE \"{database.Name}\";");
        return database;
    }

    public async ValueTask DisposeAsync()
    {
        await using (var connection = new NpgsqlConnection(ConnectionString))
        {
            NpgsqlConnection.ClearPool(connection);
        }

        // FORCE ends connections still open on it (a provider's pool, a silo that is still stopping).
        await ExecuteOnServerAsync($"DROP DATABASE IF EXISTS \"{Name}\" WITH (FORCE);");
    }

    /// <summary>How many silos of <paramref name="clusterId"/> the Orleans membership table in this database lists as active.</summary>
    public Task<long> ActiveSilosAsync(string clusterId) => SilosAsync(clusterId, status: 3);

    /// <summary>How many silos of <paramref name="clusterId"/> the Orleans membership table in this database lists as dead.</summary>
    public Task<long> DeadSilosAsync(string clusterId) => SilosAsync(clusterId, status: 6);

    private async Task<long> SilosAsync(string clusterId, int status)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM OrleansMembershipTable WHERE DeploymentId = @id AND Status = @status;", connection);
        command.Parameters.AddWithValue("id", clusterId);
        command.Parameters.AddWithValue("status", status);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private async Task ExecuteOnServerAsync(string sql)
    {
        var maintenance = new NpgsqlConnectionStringBuilder(_server) { Database = "postgres", Pooling = false };
        await using var connection = new NpgsqlConnection(maintenance.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
