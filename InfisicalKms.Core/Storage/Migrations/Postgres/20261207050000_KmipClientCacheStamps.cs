using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace InfisicalKms.Core.Storage.Migrations.Postgres;

/// <summary>PostgreSQL's counterpart of SQLite's <c>KmipClientCacheStamps</c>: changes to KMIP clients notify the Tokens scope.</summary>
[DbContext(typeof(KmsDbContext))]
[Migration("20261207050000_KmipClientCacheStamps")]
public sealed class KmipClientCacheStamps : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder) =>
        migrationBuilder.Sql("""
            CREATE TRIGGER "CacheNotify_KmipClients_Update" AFTER UPDATE ON "KmipClients"
                FOR EACH STATEMENT EXECUTE FUNCTION kms_cache_notify('1');
            CREATE TRIGGER "CacheNotify_KmipClients_Delete" AFTER DELETE ON "KmipClients"
                FOR EACH STATEMENT EXECUTE FUNCTION kms_cache_notify('1');
            """);

    protected override void Down(MigrationBuilder migrationBuilder) =>
        migrationBuilder.Sql("""
            DROP TRIGGER "CacheNotify_KmipClients_Update" ON "KmipClients";
            DROP TRIGGER "CacheNotify_KmipClients_Delete" ON "KmipClients";
            """);
}
