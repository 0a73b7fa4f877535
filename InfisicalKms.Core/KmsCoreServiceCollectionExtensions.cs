using InfisicalKms.Core.Audit;
using InfisicalKms.Core.Auth;
using InfisicalKms.Core.Caching;
using InfisicalKms.Core.Envelope;
using InfisicalKms.Core.Identities;
using InfisicalKms.Core.Keys;
using InfisicalKms.Core.Kmip;
using InfisicalKms.Core.Kmip.Server;
using InfisicalKms.Core.Observability;
using InfisicalKms.Core.Organizations;
using InfisicalKms.Core.Projects;
using InfisicalKms.Core.RootKeys;
using InfisicalKms.Core.Storage;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace InfisicalKms.Core;

public static class KmsCoreServiceCollectionExtensions
{
    /// <summary>Storage, the key hierarchy and the Core services.</summary>
    public static IServiceCollection AddKmsCore(this IServiceCollection services, IConfiguration configuration, IHostEnvironment environment)
    {
        // Read when first resolved, not now: configuration added after this call (tests, hosts) still counts.
        services.AddSingleton(_ => StorageLocation.From(configuration));
        services.AddDbContextFactory<KmsDbContext>((sp, options) => options
            .UseKmsDatabase(sp.GetRequiredService<StorageLocation>())
            .AddInterceptors(sp.GetRequiredService<CacheInvalidator>()));

        // The hot path's caches: every stored change passes CacheInvalidator, which makes stale entries unusable.
        services.AddSingleton(_ => KmsCacheSettings.From(configuration));
        services.AddSingleton<CacheGenerations>();
        services.AddSingleton<CacheInvalidator>();
        services.AddSingleton<CacheStampWatcher>();   // and changes made by other processes: notified (PostgreSQL) or polled (SQLite)
        services.AddHostedService(sp => sp.GetRequiredService<CacheStampWatcher>());
        services.AddSingleton<CacheStatistics>();
        services.AddSingleton<KeyMaterialCache>();
        services.AddSingleton<KeyRing>();
        services.TryAddSingleton(TimeProvider.System);

        AddSettings(services, configuration, environment);

        // Singletons: the root key lives once per process.
        services.AddSingleton<RootKey>();
        services.AddSingleton<RootKeyInitializer>();
        services.AddSingleton<RootKeyRewrapper>();   // the root-key command (spec §11.7); no state of its own
        services.AddSingleton<EnvelopeEncryptor>();
        services.AddSingleton<LoginRateLimiter>();
        services.AddSingleton<SharedLoginRateLimiter>();
        services.AddSingleton<ILoginRateLimiter>(sp => sp.GetRequiredService<StorageLocation>().IsPostgres
            ? sp.GetRequiredService<SharedLoginRateLimiter>()   // counted across instances
            : sp.GetRequiredService<LoginRateLimiter>());
        services.AddMetrics();   // the audit writer's and KmsMetrics' instruments (already there in a web host)
        services.AddSingleton<KmsMetrics>();
        services.AddSingleton<AuditWriter>();   // one group-commit loop per process
        services.AddSingleton<IAuditSink>(sp => sp.GetRequiredService<AuditWriter>());
        services.AddSingleton<AuditLog>();
        services.AddSingleton<AuditLogService>();
        services.AddSingleton<Usage.KeyUsageService>();
        services.AddSingleton<AuditRetention>();
        services.AddHostedService(sp => sp.GetRequiredService<AuditRetention>());
        services.AddSingleton<IPasswordHasher<KmsUser>, PasswordHasher<KmsUser>>();

        // Stateless over a DbContext factory: singletons are safe and avoid per-request allocation.
        services.AddSingleton<KeyService>();
        services.AddSingleton<KeyCryptoService>();
        services.AddSingleton<KeyLifecycleService>();
        services.AddSingleton<KeyImportService>();
        services.AddSingleton<KeyMacService>();
        services.AddSingleton<KeyBatchService>();
        services.AddSingleton<KeyRotationScheduler>();
        services.AddSingleton<KmipOperations>();   // the KMIP protocol over the same keys; the listener is the web host's
        services.AddSingleton<KmipServer>();
        services.AddHostedService(sp => sp.GetRequiredService<KeyRotationScheduler>());
        services.AddSingleton<TokenService>();
        services.AddSingleton<IdentityService>();
        services.AddSingleton<ProjectService>();
        services.AddSingleton<MembershipService>();
        services.AddSingleton<BootstrapService>();
        services.AddSingleton<SignInAudit>();
        services.AddSingleton<OrganizationMemberService>();
        services.AddSingleton<KmipCertificateAuthority>();   // one CA per process: its certificate is cached once read
        services.AddSingleton<KmipClientService>();
        return services;
    }

    /// <summary>Checks the settings, applies migrations, then loads or creates the root key.</summary>
    /// <exception cref="RootKeyConfigurationException">A refusal with its reason.</exception>
    /// <exception cref="OptionsValidationException">Bad settings (or an <see cref="AggregateException"/> of them): see <see cref="ValidateKmsSettings"/>.</exception>
    public static async Task InitializeKmsAsync(this IServiceProvider services, CancellationToken ct)
    {
        services.ValidateKmsSettings();
        IDbContextFactory<KmsDbContext> factory = services.GetRequiredService<IDbContextFactory<KmsDbContext>>();
        await using (KmsDbContext db = await factory.CreateDbContextAsync(ct))
        {
            await MigrateAsync(db, services.GetRequiredService<StorageLocation>(), ct);
        }

        services.GetRequiredService<KmsCacheSettings>();   // invalid cache settings refuse start-up too
        await services.GetRequiredService<RootKeyInitializer>().InitializeAsync(ct);
    }

    /// <summary>
    /// Checks every setting bound through the Options pattern at once, before anything else runs, as the host
    /// would when it starts (<c>ValidateOnStart</c>); the operator commands call it too.
    /// </summary>
    /// <exception cref="OptionsValidationException">One settings class has bad values: <see cref="OptionsValidationException.Failures"/> holds one message per bad value, naming its setting and never a secret.</exception>
    /// <exception cref="AggregateException">Several settings classes have bad values: one <see cref="OptionsValidationException"/> each.</exception>
    /// <exception cref="RootKeyConfigurationException">The database settings themselves are refused (the development key file's folder comes from them).</exception>
    public static void ValidateKmsSettings(this IServiceProvider services) =>
        services.GetService<IStartupValidator>()?.Validate();

    /// <summary>
    /// The settings of the Options pattern: bound from configuration, validated together at start-up with one
    /// message per bad value. The wrapping-key variables keep the names operators use (spec §11.2), not a section.
    /// </summary>
    private static void AddSettings(IServiceCollection services, IConfiguration configuration, IHostEnvironment environment)
    {
        services.TryAddSingleton(configuration);   // what BindConfiguration reads: a web host has it already, a bare container (tests, tools) not
        services.AddOptions<AuditWriterSettings>().BindConfiguration(AuditWriterSettings.Section)
            .Validate(s => s.IsValid, AuditWriterSettings.Invalid).ValidateOnStart();
        services.AddOptions<AuditRetentionSettings>().BindConfiguration(AuditRetentionSettings.Section)
            .Validate(s => s.IsValid, AuditRetentionSettings.Invalid).ValidateOnStart();
        services.AddOptions<KmipSettings>().BindConfiguration(KmipSettings.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<KmipSettings>, KmipSettingsValidator>();
        services.AddOptions<RootKeySettings>()
            .Configure<IConfiguration, StorageLocation>((s, config, storage) => s.Read(config, environment.IsDevelopment(), storage.DataDirectory))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<RootKeySettings>, RootKeySettingsValidator>();

        // The instance the start-up check built (the monitor's), as a singleton the container disposes when the
        // process stops: that zeroes the environment key and the HSM PIN. No change token is registered for
        // it (Configure, not Bind), so it is never rebuilt.
        services.AddSingleton(sp => sp.GetRequiredService<IOptionsMonitor<RootKeySettings>>().CurrentValue);
    }

    /// <summary>Applies the provider's migrations, as start-up does (for operator commands that run instead of the server).</summary>
    /// <exception cref="RootKeyConfigurationException">The database cannot be reached.</exception>
    public static async Task MigrateKmsDatabaseAsync(this IServiceProvider services, CancellationToken ct)
    {
        await using KmsDbContext db = await services.GetRequiredService<IDbContextFactory<KmsDbContext>>().CreateDbContextAsync(ct);
        await MigrateAsync(db, services.GetRequiredService<StorageLocation>(), ct);
    }

    /// <summary>
    /// Applies the provider's migrations. On PostgreSQL they run under a session advisory lock, so instances
    /// that start together migrate once: the others wait, then find nothing left to apply.
    /// </summary>
    /// <param name="setting">Named when the database cannot be reached: the setting that points at it.</param>
    internal static async Task MigrateAsync(KmsDbContext db, StorageLocation storage, CancellationToken ct, string setting = StorageLocation.ConnectionStringKey)
    {
        if (!storage.IsPostgres)
        {
            await db.Database.MigrateAsync(ct);
            return;
        }

        try
        {
            await db.Database.OpenConnectionAsync(ct);   // held open: the lock belongs to this session
        }
        catch (Exception e) when (e is Npgsql.NpgsqlException or InvalidOperationException or ArgumentException or TimeoutException)
        {
            throw new RootKeyConfigurationException(
                $"Cannot reach the PostgreSQL database named by {setting}: {KmsDatabase.DriverReason(e)}");
        }

        try
        {
            await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_lock({(int)LockScope.Instance}, 0)", ct);

            // EF Core would find out that its history table is missing by a failing query, logged as an error.
            await db.Database.ExecuteSqlRawAsync("""
                CREATE TABLE IF NOT EXISTS "__EFMigrationsHistory" (
                    "MigrationId" character varying(150) NOT NULL CONSTRAINT "PK___EFMigrationsHistory" PRIMARY KEY,
                    "ProductVersion" character varying(32) NOT NULL)
                """, ct);
            await db.Database.MigrateAsync(ct);
        }
        finally
        {
            await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_unlock({(int)LockScope.Instance}, 0)", CancellationToken.None);
            await db.Database.CloseConnectionAsync();
        }
    }
}
