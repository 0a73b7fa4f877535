using System.Data.Common;
using InfisicalKms.Core.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace InfisicalKms.Core.Health;

/// <summary>
/// The database answers and would take a write: SQLite takes its write lock (<c>BEGIN IMMEDIATE</c>) and lets
/// go; PostgreSQL is asked whether the session is read-only (a standby, or <c>default_transaction_read_only</c>).
/// </summary>
internal sealed class DatabaseHealthCheck(IDbContextFactory<KmsDbContext> dbFactory) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
    {
        HealthCheckResult result = await CheckOnceAsync(ct);
        // A pooled PostgreSQL session that the server ended (a restart, a terminated backend) fails once and is
        // dropped from the pool; the database itself is judged on a session that is alive.
        return result.Exception is { } failure && KmsDatabase.IsConnectionLost(failure) ? await CheckOnceAsync(ct) : result;
    }

    private async Task<HealthCheckResult> CheckOnceAsync(CancellationToken ct)
    {
        try
        {
            await using KmsDbContext db = await dbFactory.CreateDbContextAsync(ct);
            DbConnection connection = db.Database.GetDbConnection();
            await connection.OpenAsync(ct);
            await using DbCommand command = connection.CreateCommand();
            command.CommandTimeout = (int)KmsHealthChecks.Timeout.TotalSeconds;
            if (db.Database.IsPostgres())
            {
                command.CommandText = "SELECT pg_is_in_recovery() OR current_setting('transaction_read_only')::boolean";
                return await command.ExecuteScalarAsync(ct) is true
                    ? HealthCheckResult.Unhealthy("the database is read-only")
                    : HealthCheckResult.Healthy("the database takes writes");
            }

            // Waits for the audit writer or another process to finish a write, up to the command timeout.
            command.CommandText = "BEGIN IMMEDIATE; ROLLBACK;";
            await command.ExecuteNonQueryAsync(ct);
            return HealthCheckResult.Healthy("the database takes writes");
        }
        catch (Exception e) when (e is DbException or InvalidOperationException or TimeoutException)
        {
            return HealthCheckResult.Unhealthy($"the database cannot be written: {KmsDatabase.DriverReason(e)}", e);
        }
    }
}
