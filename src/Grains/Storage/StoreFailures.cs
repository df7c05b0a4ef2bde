using Microsoft.Data.Sqlite;
using Npgsql;
using Orleans.Serialization;
using Orleans.Storage;

namespace Autonomy.Ledger;

/// <summary>
/// What a failure of a store means, in one place for the ledger's dialects and the gateway's error mapping: "the
/// store cannot be used now" (unreachable, out of resources, shutting down, busy, missing schema) is an outage a
/// client should retry after (503), anything else is a bug or bad data (500).
/// </summary>
public static class StoreFailures
{
    // SQLite result codes that mean "the store cannot be used now" rather than "this data is wrong".
    private static readonly HashSet<int> SqliteUnavailableCodes =
    [
        3,  // SQLITE_PERM
        5,  // SQLITE_BUSY
        6,  // SQLITE_LOCKED
        7,  // SQLITE_NOMEM
        8,  // SQLITE_READONLY
        9,  // SQLITE_INTERRUPT
        10, // SQLITE_IOERR
        11, // SQLITE_CORRUPT
        13, // SQLITE_FULL
        14, // SQLITE_CANTOPEN
        15, // SQLITE_PROTOCOL
        23, // SQLITE_AUTH
        26, // SQLITE_NOTADB
    ];

    /// <summary>
    /// Type names of failures that crossed a silo boundary as Orleans' fallback (their type not loadable there):
    /// a connection or I/O failure of PostgreSQL or SQLite, named by the type it had on the silo.
    /// </summary>
    private static readonly string[] OutageTypeNames =
    [
        "Npgsql.NpgsqlException",
        "System.Net.Sockets.SocketException",
        "System.IO.IOException",
        "System.TimeoutException",
        "Orleans.Storage.InconsistentStateException",
    ];

    /// <summary>
    /// Lets Orleans carry Npgsql's exceptions across a grain call (type, message, inner exceptions) on silos and
    /// clients alike. Without it a grain storage failure on PostgreSQL reaches the caller as Orleans' own "no codec"
    /// error, which says nothing about an outage.
    /// </summary>
    public static void Carry(ExceptionSerializationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.SupportedNamespacePrefixes.Add("Npgsql");
    }

    /// <summary>
    /// PostgreSQL: no answer, connection lost, server shutting down or out of resources, refused login, missing
    /// database or schema, read-only standby. SQLite: busy, locked, I/O, full, unopenable.
    /// </summary>
    public static bool IsUnavailable(Exception exception) => exception switch
    {
        PostgresException server => IsUnavailableState(server.SqlState ?? StateInMessage(server.Message)),
        NpgsqlException or IOException or TimeoutException or System.Net.Sockets.SocketException => true,
        SqliteException sqlite => SqliteUnavailableCodes.Contains(sqlite.SqliteErrorCode != 0 ? sqlite.SqliteErrorCode : CodeInMessage(sqlite.Message)),
        _ => false,
    };

    // A copy that crossed a silo boundary keeps only its message; one that names no state is taken as an outage.
    private static bool IsUnavailableState(string? state) =>
        state is null or PostgresErrorCodes.UndefinedTable or PostgresErrorCodes.ReadOnlySqlTransaction
        || (state.Length >= 2 && state[..2] is "08" or "28" or "3D" or "40" or "53" or "57" or "58");

    /// <summary>"57P01: terminating connection due to administrator command" -> "57P01".</summary>
    private static string? StateInMessage(string message) =>
        message.Length > 6 && message[5] == ':' && message[..5].All(char.IsAsciiLetterOrDigit) ? message[..5] : null;

    /// <summary>"SQLite Error 5: 'database is locked'." -> 5.</summary>
    private static int CodeInMessage(string message)
    {
        const string Prefix = "SQLite Error ";
        if (!message.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return 0;
        }

        var digits = message[Prefix.Length..].TakeWhile(char.IsAsciiDigit).ToArray();
        return int.TryParse(digits, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var code) ? code : 0;
    }

    /// <summary>
    /// True when <paramref name="exception"/>, or one it wraps, says a store (the ledger, grain storage, the database
    /// under them) could not be used now: <see cref="LedgerUnavailableException"/>, a store failure per
    /// <see cref="IsUnavailable"/>, grain state found changed under a write that lost its answer
    /// (<see cref="InconsistentStateException"/>: the activation re-reads it on the next call), or such a failure
    /// that reached the caller as Orleans' fallback for an exception type it could not load.
    /// </summary>
    public static bool IsOutage(Exception? exception)
    {
        for (var depth = 0; exception is not null && depth < 16; depth++)
        {
            switch (exception)
            {
                case LedgerUnavailableException or InconsistentStateException:
                    return true;
                case UnavailableExceptionFallbackException fallback when IsOutageFallback(fallback):
                    return true;
                case AggregateException aggregate when aggregate.InnerExceptions.Any(IsOutage):
                    return true;
                default:
                    if (IsUnavailable(exception))
                    {
                        return true;
                    }

                    break;
            }

            exception = exception.InnerException;
        }

        return false;
    }

    /// <summary>A failure that arrived as Orleans' fallback: judged by the type it had and what its message still says.</summary>
    private static bool IsOutageFallback(UnavailableExceptionFallbackException fallback) => fallback.ExceptionType switch
    {
        null => false,
        var type when type.StartsWith("Npgsql.PostgresException", StringComparison.Ordinal) => IsUnavailableState(StateInMessage(fallback.Message)),
        var type when type.StartsWith("Microsoft.Data.Sqlite.SqliteException", StringComparison.Ordinal) => SqliteUnavailableCodes.Contains(CodeInMessage(fallback.Message)),
        var type => OutageTypeNames.Any(name => type.StartsWith(name, StringComparison.Ordinal)),
    };
}
