using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace InfisicalKms.Core.Storage;

/// <summary>How a <see cref="KmsDbContext"/> reaches its database, and what differs between the providers.</summary>
public static class KmsDatabase
{
    /// <summary>The provider, its connection string and its own migrations.</summary>
    public static DbContextOptionsBuilder UseKmsDatabase(this DbContextOptionsBuilder options, StorageLocation location)
    {
        if (location.IsPostgres)
        {
            options.UseNpgsql(location.ConnectionString);
        }
        else
        {
            options.UseSqlite(location.ConnectionString);
        }

        return options.ReplaceService<IMigrationsAssembly, ProviderMigrationsAssembly>();
    }

    public static bool IsPostgres(this DatabaseFacade database) =>
        database.ProviderName == "Npgsql.EntityFrameworkCore.PostgreSQL";

    /// <summary>
    /// Serialises this transaction with every other one that takes the same lock, on any instance, until it ends.
    /// PostgreSQL: <c>pg_advisory_xact_lock(scope, id)</c>. SQLite: nothing to do, because every transaction
    /// already holds the database's write lock from its start (<c>BEGIN IMMEDIATE</c>).
    /// </summary>
    /// <remarks>Call inside a transaction. Two ids of one scope that share a hash only wait for each other more often.</remarks>
    public static async Task LockAsync(this DatabaseFacade database, LockScope scope, Guid id, CancellationToken ct)
    {
        if (database.IsPostgres())
        {
            int key = LockKey(id);
            await database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock({(int)scope}, {key})", ct);
        }
    }

    /// <summary>
    /// What the driver said when a database could not be reached ("Failed to connect to …: Connection refused"),
    /// rather than EF Core's wrapper about transient failures. Neither driver repeats a password.
    /// </summary>
    public static string DriverReason(Exception e)
    {
        Exception reason = e;
        for (Exception? inner = e; inner is not null; inner = inner.InnerException)
        {
            if (inner is System.Data.Common.DbException)
            {
                reason = inner;
                break;
            }
        }

        return reason.InnerException is { } cause ? $"{reason.Message}: {cause.Message}" : reason.Message;
    }

    /// <summary>
    /// Whether <paramref name="e"/> says the server ended the session (a restart, a terminated backend) or the
    /// connection broke: a session kept open from earlier fails once with it, and a new one may well work.
    /// </summary>
    public static bool IsConnectionLost(Exception e)
    {
        for (Exception? inner = e; inner is not null; inner = inner.InnerException)
        {
            if (inner is Npgsql.PostgresException { SqlState: "57P01" or "57P02" or "57P03" } or Npgsql.NpgsqlException { IsTransient: true })
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The second half of an advisory lock's key for <paramref name="id"/>.</summary>
    public static int LockKey(Guid id)
    {
        Span<byte> bytes = stackalloc byte[16];
        id.TryWriteBytes(bytes);
        return BitConverter.ToInt32(bytes[..4]) ^ BitConverter.ToInt32(bytes[4..8]) ^ BitConverter.ToInt32(bytes[8..12]) ^ BitConverter.ToInt32(bytes[12..]);
    }
}

/// <summary>The first half of an advisory lock's key: what kind of thing is locked.</summary>
public enum LockScope
{
    /// <summary>Migrations and first set-up, once for the whole database (id <see cref="Guid.Empty"/>).</summary>
    Instance = 0x4B4D5301,

    /// <summary>One audit chain (a project's or an organization's): its head is read and moved under this lock.</summary>
    AuditChain = 0x4B4D5302,

    /// <summary>A project's or organization's memberships, while a last-admin guard counts and changes them.</summary>
    Members = 0x4B4D5303,

    /// <summary>A client's failed logins, while they are counted and a new one is recorded.</summary>
    LoginFailures = 0x4B4D5304,
}
