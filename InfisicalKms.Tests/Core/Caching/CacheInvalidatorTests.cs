using InfisicalKms.Core.Caching;

namespace InfisicalKms.Tests.Core.Caching;

/// <summary>Issue #13: which stored changes make which cached rows stale, from the SQL EF Core sends.</summary>
public sealed class CacheInvalidatorTests
{
    [Theory]
    [InlineData("""SELECT "k"."Id" FROM "Keys" AS "k" WHERE "k"."Id" = @p""", CacheScopes.None, false)]
    [InlineData("""INSERT INTO "AccessTokens" ("Id") VALUES (@p0);""", CacheScopes.None, false)]
    [InlineData("""INSERT INTO "AuditEvents" ("Id") VALUES (@p0);""", CacheScopes.None, false)]
    [InlineData("""UPDATE "AccessTokens" AS "a" SET "IsRevoked" = 1 WHERE "a"."Id" = @p""", CacheScopes.Tokens, false)]
    [InlineData("""UPDATE "Keys" SET "IsDisabled" = @p0 WHERE "Id" = @p1 RETURNING 1;""", CacheScopes.Keys, false)]
    [InlineData("""DELETE FROM "Keys" WHERE "Id" = @p0 RETURNING 1;""", CacheScopes.Keys, true)]
    [InlineData("""DELETE FROM "IdentityMemberships" AS "i" WHERE "i"."Id" = @p""", CacheScopes.Roles, false)]
    [InlineData("""DELETE FROM "Identities" WHERE "Id" = @p0;""", CacheScopes.Tokens | CacheScopes.Roles, false)]
    [InlineData("""DELETE FROM "Projects" WHERE "Id" = @p0;""", CacheScopes.Roles | CacheScopes.Keys, true)]
    [InlineData("""UPDATE "UniversalAuths" SET "AccessTokenTrustedIps" = @p0;""", CacheScopes.Tokens, false)]
    [InlineData("""INSERT INTO "KeyVersions" ("KeyId") VALUES (@p0);UPDATE "Keys" SET "Version" = @p1 WHERE "Id" = @p2;""", CacheScopes.Keys, false)]
    [InlineData("""INSERT INTO "IdentityMemberships" ("Id") VALUES (@p0) ON CONFLICT ("Id") DO UPDATE SET "Role" = @p1;""", CacheScopes.Roles, false)]
    [InlineData("""UPDATE "SomeNewTable" SET "X" = 1;""", CacheScopes.All, false)]
    [InlineData("""ALTER TABLE "Keys" ADD COLUMN "X" INTEGER;""", CacheScopes.All, false)]
    [InlineData("""UPDATE "AuditChainHeads" SET "Sequence" = @p0;""", CacheScopes.None, false)]
    public void Affected_NamesTheScopesTheStatementChanges(string sql, CacheScopes expected, bool keysDeleted)
    {
        (CacheScopes scopes, bool deleted) = CacheInvalidator.Affected(sql);

        Assert.Equal(expected, scopes);
        Assert.Equal(keysDeleted, deleted);
    }

    [Fact]
    public void Raise_MovesOnlyTheNamedScopes()
    {
        var generations = new CacheGenerations();
        long tokens = generations.Current(CacheScopes.Tokens);
        long keys = generations.Current(CacheScopes.Keys);

        generations.Raise(CacheScopes.Keys);

        Assert.Equal(tokens, generations.Current(CacheScopes.Tokens));
        Assert.Equal(keys + 1, generations.Current(CacheScopes.Keys));
    }
}
