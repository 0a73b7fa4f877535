using System.Data.Common;
using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace InfisicalKms.Core.Caching;

/// <summary>
/// Sees every command EF Core sends and raises the cache generations of the tables it changes: before the
/// command runs, and again once the change is committed (at once for a command outside a transaction, at
/// commit for one inside). Every write path is covered, including <c>ExecuteUpdate</c> and cascading
/// deletes, without each service having to remember which caches its change affects.
/// </summary>
/// <remarks>
/// An INSERT alone makes no entry stale: the caches hold only rows that exist (never "not found"), and a
/// new row changes none of them. The audit tables and client secrets feed no cache. A table this class
/// does not know raises every generation: a new table is safe before it is listed here.
/// </remarks>
public sealed partial class CacheInvalidator(CacheGenerations generations) : DbCommandInterceptor, IDbTransactionInterceptor
{
    private readonly ConditionalWeakTable<DbTransaction, StrongBox<(CacheScopes Scopes, bool KeysDeleted)>> _pending = [];

    /// <summary>The scopes an UPDATE or DELETE of each table affects (deletes cascade to the tables below it).</summary>
    internal static readonly Dictionary<string, CacheScopes> Tables = new(StringComparer.OrdinalIgnoreCase)
    {
        ["AccessTokens"] = CacheScopes.Tokens,
        ["UniversalAuths"] = CacheScopes.Tokens,
        ["Identities"] = CacheScopes.Tokens | CacheScopes.Roles,
        ["IdentityMemberships"] = CacheScopes.Roles,
        ["UserMemberships"] = CacheScopes.Roles,
        ["AspNetUsers"] = CacheScopes.Roles,
        ["Projects"] = CacheScopes.Roles | CacheScopes.Keys,
        ["Organizations"] = CacheScopes.All,
        ["Keys"] = CacheScopes.Keys,
        ["KeyVersions"] = CacheScopes.Keys,
        ["RootKey"] = CacheScopes.Keys,
        ["AuditEvents"] = CacheScopes.None,
        ["AuditChainHeads"] = CacheScopes.None,
        ["KeyUsageHours"] = CacheScopes.None,   // kept by triggers on AuditEvents (KeyUsageCounts); read by usage reports only
        ["KeyUsageActorHours"] = CacheScopes.None,
        ["KeyUsageDays"] = CacheScopes.None,
        ["KeyUsageActorDays"] = CacheScopes.None,
        ["KeyUsagePending"] = CacheScopes.None,   // SQLite's audit writer's uncounted batches (KeyUsageBatchCounts)
        ["ClientSecrets"] = CacheScopes.None,
        ["AspNetUserTokens"] = CacheScopes.None,
        ["AspNetUserClaims"] = CacheScopes.None,
        ["AspNetUserLogins"] = CacheScopes.None,

        // KMIP clients are cached like access tokens (KmipServer); their certificates are read at each TLS
        // handshake, never cached. A key's KMIP state changes what the hot path sees only through the key's own
        // row (disabled while not Active).
        ["KmipClients"] = CacheScopes.Tokens,
        ["KmipCertificates"] = CacheScopes.None,
        ["KmipAuthority"] = CacheScopes.None,
        ["KmipKeyStates"] = CacheScopes.None,
        ["__EFMigrationsHistory"] = CacheScopes.All,
    };

    /// <summary>What <paramref name="sql"/> changes; internal for its unit tests.</summary>
    internal static (CacheScopes Scopes, bool KeysDeleted) Affected(string sql)
    {
        var scopes = CacheScopes.None;
        bool keysDeleted = false;
        if (sql.StartsWith("SELECT", StringComparison.OrdinalIgnoreCase))
        {
            return (scopes, keysDeleted);   // the hot path's queries: no change to look for
        }

        foreach (Match statement in WriteStatement().Matches(sql))
        {
            string verb = statement.Groups["verb"].Value.ToUpperInvariant();
            bool upsert = verb.StartsWith("INSERT", StringComparison.Ordinal)
                && (verb.Contains("OR", StringComparison.Ordinal) || sql.Contains("ON CONFLICT", StringComparison.OrdinalIgnoreCase));
            if (verb.StartsWith("INSERT", StringComparison.Ordinal) && !upsert)
            {
                continue;
            }

            CacheScopes table = Tables.GetValueOrDefault(statement.Groups["table"].Value, CacheScopes.All);
            scopes |= table;
            keysDeleted |= verb.StartsWith("DELETE", StringComparison.Ordinal) && (table & CacheScopes.Keys) != 0;
        }

        if (SchemaStatement().IsMatch(sql))
        {
            scopes = CacheScopes.All;
        }

        return (scopes, keysDeleted);
    }

    public override InterceptionResult<DbDataReader> ReaderExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result)
    {
        Before(command);
        return result;
    }

    public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
    {
        Before(command);
        return ValueTask.FromResult(result);
    }

    public override DbDataReader ReaderExecuted(DbCommand command, CommandExecutedEventData eventData, DbDataReader result)
    {
        After(command);
        return result;
    }

    public override ValueTask<DbDataReader> ReaderExecutedAsync(DbCommand command, CommandExecutedEventData eventData, DbDataReader result, CancellationToken cancellationToken = default)
    {
        After(command);
        return ValueTask.FromResult(result);
    }

    public override InterceptionResult<int> NonQueryExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<int> result)
    {
        Before(command);
        return result;
    }

    public override ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        Before(command);
        return ValueTask.FromResult(result);
    }

    public override int NonQueryExecuted(DbCommand command, CommandExecutedEventData eventData, int result)
    {
        After(command);
        return result;
    }

    public override ValueTask<int> NonQueryExecutedAsync(DbCommand command, CommandExecutedEventData eventData, int result, CancellationToken cancellationToken = default)
    {
        After(command);
        return ValueTask.FromResult(result);
    }

    public override InterceptionResult<object> ScalarExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<object> result)
    {
        Before(command);
        return result;
    }

    public override ValueTask<InterceptionResult<object>> ScalarExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<object> result, CancellationToken cancellationToken = default)
    {
        Before(command);
        return ValueTask.FromResult(result);
    }

    public override object? ScalarExecuted(DbCommand command, CommandExecutedEventData eventData, object? result)
    {
        After(command);
        return result;
    }

    public override ValueTask<object?> ScalarExecutedAsync(DbCommand command, CommandExecutedEventData eventData, object? result, CancellationToken cancellationToken = default)
    {
        After(command);
        return ValueTask.FromResult(result);
    }

    public void TransactionCommitted(DbTransaction transaction, TransactionEndEventData eventData) => Committed(transaction);

    public Task TransactionCommittedAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        Committed(transaction);
        return Task.CompletedTask;
    }

    private void Before(DbCommand command)
    {
        (CacheScopes scopes, bool keysDeleted) = Affected(command.CommandText);
        if (scopes == CacheScopes.None)
        {
            return;
        }

        generations.Raise(scopes);
        if (command.Transaction is { } transaction)
        {
            StrongBox<(CacheScopes, bool)> pending = _pending.GetOrCreateValue(transaction);
            lock (pending)
            {
                pending.Value = (pending.Value.Item1 | scopes, pending.Value.Item2 | keysDeleted);
            }
        }
    }

    private void After(DbCommand command)
    {
        if (command.Transaction is null && Affected(command.CommandText) is { Scopes: not CacheScopes.None } change)
        {
            generations.Raise(change.Scopes, change.KeysDeleted);
        }
    }

    private void Committed(DbTransaction transaction)
    {
        if (_pending.TryGetValue(transaction, out StrongBox<(CacheScopes Scopes, bool KeysDeleted)>? pending))
        {
            _pending.Remove(transaction);
            generations.Raise(pending.Value.Scopes, pending.Value.KeysDeleted);
        }
    }

    [GeneratedRegex("""(?<verb>(?<!\bDO\s+)UPDATE|DELETE\s+FROM|INSERT\s+(?:OR\s+\w+\s+)?INTO|REPLACE\s+INTO)\s+["`\[]?(?<table>\w+)""", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex WriteStatement();

    [GeneratedRegex(@"\b(?:CREATE|ALTER|DROP)\s+(?:TABLE|INDEX|VIEW|TRIGGER)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex SchemaStatement();
}
