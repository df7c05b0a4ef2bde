using Autonomy.Hosting;
using Orleans.Runtime;

namespace Autonomy.Tests.Storage;

/// <summary>A reminder table of service "service-a" on a fresh file, its schema applied; the file removed afterwards.</summary>
public abstract class SqliteReminderTableFixture : IAsyncLifetime
{
    private protected readonly TempDirectory _directory = new();
    private protected SqliteReminderTable _table = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_directory.Path);
        _table = Table("service-a");
        await _table.StartAsync();
    }

    public Task DisposeAsync()
    {
        _directory.Dispose();
        return Task.CompletedTask;
    }

    private protected SqliteReminderTable Table(string serviceId) =>
        new(System.IO.Path.Combine(_directory.Path, "reminders.db"), serviceId);

    private protected static ReminderEntry Entry(string key, string name) => new()
    {
        GrainId = GrainId.Create("autonomy.tests.probe", key),
        ReminderName = name,
        StartAt = new DateTime(2026, 3, 1, 8, 30, 0, DateTimeKind.Utc).AddTicks(1234567),
        Period = TimeSpan.FromMinutes(15),
    };
}
