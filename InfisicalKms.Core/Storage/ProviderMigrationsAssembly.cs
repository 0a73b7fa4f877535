using System.Reflection;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace InfisicalKms.Core.Storage;

/// <summary>
/// The migrations of the provider in use. Both providers' migrations live in this assembly for the one
/// <see cref="KmsDbContext"/>, told apart by namespace: SQLite's in <c>Storage.Migrations</c> (where they
/// have always been), PostgreSQL's in <c>Storage.Migrations.Postgres</c>. EF Core's own lookup would mix them.
/// </summary>
internal sealed class ProviderMigrationsAssembly : IMigrationsAssembly
{
    public const string SqliteNamespace = "InfisicalKms.Core.Storage.Migrations";

    public const string PostgresNamespace = "InfisicalKms.Core.Storage.Migrations.Postgres";

    private readonly string _namespace;

    public ProviderMigrationsAssembly(ICurrentDbContext currentContext)
    {
        _namespace = currentContext.Context.Database.IsPostgres() ? PostgresNamespace : SqliteNamespace;
        TypeInfo[] types = [.. Assembly.DefinedTypes.Where(t => t.Namespace == _namespace && !t.IsAbstract
            && t.GetCustomAttribute<DbContextAttribute>()?.ContextType == typeof(KmsDbContext))];
        Migrations = new SortedList<string, TypeInfo>(
            types.Where(t => t.IsSubclassOf(typeof(Migration)) && t.GetCustomAttribute<MigrationAttribute>() is not null)
                .ToDictionary(t => t.GetCustomAttribute<MigrationAttribute>()!.Id),
            StringComparer.Ordinal);
        TypeInfo? snapshot = types.SingleOrDefault(t => t.IsSubclassOf(typeof(ModelSnapshot)));
        ModelSnapshot = snapshot is null ? null : (ModelSnapshot)Activator.CreateInstance(snapshot)!;
    }

    public IReadOnlyDictionary<string, TypeInfo> Migrations { get; }

    public ModelSnapshot? ModelSnapshot { get; }

    public Assembly Assembly => typeof(KmsDbContext).Assembly;

    public string? FindMigrationId(string nameOrId) => Migrations.Keys.FirstOrDefault(id =>
        string.Equals(id, nameOrId, StringComparison.OrdinalIgnoreCase)
        || string.Equals(id[(id.IndexOf('_') + 1)..], nameOrId, StringComparison.OrdinalIgnoreCase));

    public Migration CreateMigration(TypeInfo migrationClass, string activeProvider)
    {
        var migration = (Migration)Activator.CreateInstance(migrationClass.AsType())!;
        migration.ActiveProvider = activeProvider;
        return migration;
    }
}
