using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace InfisicalKms.Core.Storage.Migrations;

/// <summary>
/// KMIP clients are cached under the Tokens scope (<c>KmipServer</c>), so a revoke or a
/// permission change made by another process raises the Tokens stamp like a change to an access token
/// (see <see cref="CacheStamps"/>).
/// </summary>
[DbContext(typeof(KmsDbContext))]
[Migration("20261207050000_KmipClientCacheStamps")]
public sealed class KmipClientCacheStamps : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        foreach (string verb in new[] { "UPDATE", "DELETE" })
        {
            migrationBuilder.Sql($"""
                CREATE TRIGGER "CacheStamp_KmipClients_{verb[0]}{verb[1..].ToLowerInvariant()}" AFTER {verb} ON "KmipClients"
                BEGIN
                    UPDATE "CacheStamps" SET "Stamp" = "Stamp" + 1 WHERE ("Scope" & 1) != 0;
                END;
                """);
        }
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.Sql("""DROP TRIGGER "CacheStamp_KmipClients_Update";""");
        migrationBuilder.Sql("""DROP TRIGGER "CacheStamp_KmipClients_Delete";""");
    }
}
