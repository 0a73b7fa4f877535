using InfisicalKms.Tests.TestSupport;

namespace InfisicalKms.Tests.Web.Api.Operations;

/// <summary>Every insert into <c>AuditEvents</c> fails (a trigger), with the database otherwise writable, until disposed.</summary>
public sealed class AuditRefusal : IAsyncDisposable
{
    private readonly TestDatabase _database;

    private AuditRefusal(TestDatabase database) => _database = database;

    public static async Task<AuditRefusal> StartAsync(TestDatabase database)
    {
        await database.ExecuteAsync(database.IsPostgres
            ? """
              CREATE FUNCTION refuse_audit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'audit refused'; END $$;
              CREATE TRIGGER refuse_audit BEFORE INSERT ON "AuditEvents" FOR EACH ROW EXECUTE FUNCTION refuse_audit();
              """
            : "CREATE TRIGGER refuse_audit BEFORE INSERT ON AuditEvents BEGIN SELECT RAISE(ABORT, 'audit refused'); END;");
        return new AuditRefusal(database);
    }

    public async ValueTask DisposeAsync() =>
        await _database.ExecuteAsync(_database.IsPostgres
            ? """DROP TRIGGER refuse_audit ON "AuditEvents"; DROP FUNCTION refuse_audit();"""
            : "DROP TRIGGER refuse_audit;");
}
