using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace InfisicalKms.Core.Storage.Migrations;

/// <summary>
/// The change stamps other processes' caches watch (<see cref="Caching.CacheStampWatcher"/>): one row per
/// cache scope, raised by a trigger on every UPDATE or DELETE of a table that scope reads, in the same
/// transaction as the change. Whoever writes (this server, another instance, the root-key command, manual
/// SQL), the stamp moves with the change. Not part of the EF model: only the watcher reads it.
/// </summary>
/// <remarks>
/// Frozen as written on the day: the test <c>CacheStampTests</c> checks the triggers in a migrated
/// database against <see cref="Caching.CacheInvalidator"/>'s table map, so a table added later without a
/// trigger fails the build's tests rather than going unseen.
/// </remarks>
[DbContext(typeof(KmsDbContext))]
[Migration("20261206210000_CacheStamps")]
public sealed class CacheStamps : Migration
{
    // Scope bits as in CacheScopes (Tokens 1, Roles 2, Keys 4); 8 counts deletions that affect keys, so a
    // watcher knows to zero the material of keys that may be gone.
    private static readonly (string Table, int Scopes)[] Tables =
    [
        ("AccessTokens", 1),
        ("UniversalAuths", 1),
        ("Identities", 1 | 2),
        ("IdentityMemberships", 2),
        ("UserMemberships", 2),
        ("AspNetUsers", 2),
        ("Projects", 2 | 4),
        ("Organizations", 1 | 2 | 4),
        ("Keys", 4),
        ("KeyVersions", 4),
        ("RootKey", 4),
    ];

    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.Sql("""
            CREATE TABLE "CacheStamps" (
                "Scope" INTEGER NOT NULL CONSTRAINT "PK_CacheStamps" PRIMARY KEY,
                "Stamp" INTEGER NOT NULL);
            INSERT INTO "CacheStamps" ("Scope", "Stamp") VALUES (1, 0), (2, 0), (4, 0), (8, 0);
            """);
        foreach ((string table, int scopes) in Tables)
        {
            int deleted = (scopes & 4) != 0 ? scopes | 8 : scopes;
            migrationBuilder.Sql(Trigger(table, "UPDATE", scopes));
            migrationBuilder.Sql(Trigger(table, "DELETE", deleted));
        }
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        foreach ((string table, _) in Tables)
        {
            migrationBuilder.Sql($"""DROP TRIGGER "CacheStamp_{table}_Update";""");
            migrationBuilder.Sql($"""DROP TRIGGER "CacheStamp_{table}_Delete";""");
        }

        migrationBuilder.Sql("""DROP TABLE "CacheStamps";""");
    }

    private static string Trigger(string table, string verb, int scopes) => $"""
        CREATE TRIGGER "CacheStamp_{table}_{verb[0]}{verb[1..].ToLowerInvariant()}" AFTER {verb} ON "{table}"
        BEGIN
            UPDATE "CacheStamps" SET "Stamp" = "Stamp" + 1 WHERE ("Scope" & {scopes}) != 0;
        END;
        """;
}
