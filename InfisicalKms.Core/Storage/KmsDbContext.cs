using InfisicalKms.Core.Audit;
using InfisicalKms.Core.Auth;
using InfisicalKms.Core.Identities;
using InfisicalKms.Core.Keys;
using InfisicalKms.Core.Kmip;
using InfisicalKms.Core.Organizations;
using InfisicalKms.Core.Projects;
using InfisicalKms.Core.RootKeys;
using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace InfisicalKms.Core.Storage;

/// <summary>
/// The key store, the accounts (ASP.NET Core Identity users) and the web tier's Data Protection key ring in
/// one database. Provider-neutral: no SQLite-only SQL, timestamps as UTC <see cref="DateTime"/>; each provider
/// has its own migrations (<see cref="ProviderMigrationsAssembly"/>).
/// </summary>
/// <remarks>
/// New migration, once per provider (the design-time factory reads <c>KMS_DESIGN_PROVIDER</c>):
/// <c>dotnet ef migrations add &lt;Name&gt; --project InfisicalKms.Core --startup-project InfisicalKms.Web --output-dir Storage/Migrations</c>, then
/// <c>KMS_DESIGN_PROVIDER=Postgres dotnet ef migrations add &lt;Name&gt; ... --output-dir Storage/Migrations/Postgres --namespace InfisicalKms.Core.Storage.Migrations.Postgres</c>.
/// </remarks>
public sealed class KmsDbContext(DbContextOptions<KmsDbContext> options)
    : IdentityDbContext<KmsUser, IdentityRole<Guid>, Guid>(options), IDataProtectionKeyContext
{
    public DbSet<RootKeyRecord> RootKeys => Set<RootKeyRecord>();

    public DbSet<Organization> Organizations => Set<Organization>();

    public DbSet<Project> Projects => Set<Project>();

    public DbSet<KmsKey> Keys => Set<KmsKey>();

    public DbSet<KeyVersion> KeyVersions => Set<KeyVersion>();

    public DbSet<MachineIdentity> Identities => Set<MachineIdentity>();

    public DbSet<UniversalAuthConfig> UniversalAuths => Set<UniversalAuthConfig>();

    public DbSet<ClientSecret> ClientSecrets => Set<ClientSecret>();

    public DbSet<AccessToken> AccessTokens => Set<AccessToken>();

    public DbSet<IdentityMembership> IdentityMemberships => Set<IdentityMembership>();

    public DbSet<UserMembership> UserMemberships => Set<UserMembership>();

    public DbSet<KmipClient> KmipClients => Set<KmipClient>();

    public DbSet<KmipCertificate> KmipCertificates => Set<KmipCertificate>();

    public DbSet<KmipAuthorityRecord> KmipAuthority => Set<KmipAuthorityRecord>();

    public DbSet<KmipKeyState> KmipKeyStates => Set<KmipKeyState>();

    public DbSet<AuditEvent> AuditEvents => Set<AuditEvent>();

    public DbSet<AuditChainHead> AuditChainHeads => Set<AuditChainHead>();

    /// <summary>Logins counted by <see cref="SharedLoginRateLimiter"/> (PostgreSQL); empty on SQLite, which counts in memory.</summary>
    public DbSet<LoginAttemptRecord> LoginAttempts => Set<LoginAttemptRecord>();

    /// <summary>The web tier's Data Protection keys, each encrypted under the root key (shared by every instance).</summary>
    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();

    /// <summary>
    /// The instance's organization (the first one set up), or <see cref="Guid.Empty"/> before set-up: where
    /// organization records go when the caller names no organization (unknown credentials, operator commands).
    /// </summary>
    public Task<Guid> InstanceOrganizationIdAsync(CancellationToken ct) =>
        Organizations.AsNoTracking().OrderBy(o => o.CreatedAt).Select(o => o.Id).FirstOrDefaultAsync(ct);

    /// <summary>
    /// False only while <see cref="DatabaseCopy"/> writes another database's audit records: they are linked
    /// already, and linking them again would give them new positions and hashes that no longer match the
    /// chain heads copied with them.
    /// </summary>
    internal bool LinksAuditRecords { get; set; } = true;

    /// <summary>
    /// Saves; new audit records are linked onto their chains inside the same write transaction (one is
    /// begun if the caller has none), so a record and its chain position commit together.
    /// </summary>
    public override async Task<int> SaveChangesAsync(bool acceptAllChangesOnSuccess, CancellationToken cancellationToken = default)
    {
        List<AuditEvent> records = LinksAuditRecords
            ? ChangeTracker.Entries<AuditEvent>().Where(e => e.State == EntityState.Added).Select(e => e.Entity).ToList()
            : [];
        if (records.Count == 0)
        {
            return await base.SaveChangesAsync(acceptAllChangesOnSuccess, cancellationToken);
        }

        if (Database.CurrentTransaction is not null)
        {
            await AuditChain.LinkAsync(this, records, cancellationToken);
            return await base.SaveChangesAsync(acceptAllChangesOnSuccess, cancellationToken);
        }

        // SQLite: BEGIN IMMEDIATE, so the chain heads are read under the write lock; PostgreSQL locks each chain.
        await using IDbContextTransaction transaction = await Database.BeginTransactionAsync(cancellationToken);
        await AuditChain.LinkAsync(this, records, cancellationToken);
        int saved = await base.SaveChangesAsync(acceptAllChangesOnSuccess, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return saved;
    }

    /// <summary>Synchronous saves cannot link audit records; every Core path saves asynchronously.</summary>
    public override int SaveChanges(bool acceptAllChangesOnSuccess)
    {
        if (ChangeTracker.Entries<AuditEvent>().Any(e => e.State == EntityState.Added))
        {
            throw new InvalidOperationException("Audit records are saved with SaveChangesAsync only.");
        }

        return base.SaveChanges(acceptAllChangesOnSuccess);
    }

    protected override void OnModelCreating(ModelBuilder builder)
    {
        base.OnModelCreating(builder);
        builder.ApplyConfigurationsFromAssembly(typeof(KmsDbContext).Assembly);
        if (Database.IsPostgres())
        {
            // Byte order, as SQLite sorts: key lists page by name the same way on both providers.
            builder.Entity<KmsKey>().Property(k => k.Name).UseCollation("C");
        }
    }
}
