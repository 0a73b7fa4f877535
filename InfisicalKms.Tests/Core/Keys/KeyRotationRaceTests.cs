using System.Data.Common;
using InfisicalKms.Core.Keys;
using InfisicalKms.Core.Storage;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;

namespace InfisicalKms.Tests.Core.Keys;

/// <summary>
/// Spec §7.13: concurrent rotations are serialized, each produces its own version, and each response is the key
/// "with the new version" it created. A second rotation is forced into the gap right after the first one commits.
/// </summary>
public sealed class KeyRotationRaceTests
{
    [Fact]
    public async Task Rotate_AnotherRotationCommitsRightAfterThisOne_ReportsTheVersionThisCallCreatedAsync()
    {
        var gap = new AfterCommit();
        await using CoreKeysHarness core = await CoreKeysHarness.StartAsync();
        IServiceProvider first = await core.StartProcessAsync(services =>
            services.ConfigureDbContext<KmsDbContext>((_, options) => options.AddInterceptors(gap), ServiceLifetime.Singleton));
        IServiceProvider second = await core.StartProcessAsync();
        KmsKey key = await first.GetRequiredService<KeyService>().CreateAsync(core.Admin,
            new CreateKeyRequest(core.ProjectId, "raced", null, KeyUsage.EncryptDecrypt, KeyAlgorithm.Aes256Gcm, false), CancellationToken.None);
        KmsKey? other = null;
        gap.Arm(async () => other = await second.GetRequiredService<KeyLifecycleService>().RotateAsync(core.Admin, key.Id, CancellationToken.None));

        KmsKey mine = await first.GetRequiredService<KeyLifecycleService>().RotateAsync(core.Admin, key.Id, CancellationToken.None);

        Assert.True(gap.Fired);
        Assert.Equal(2, mine.Version);
        Assert.Equal(3, other!.Version);
        IReadOnlyList<KeyVersionInfo> versions = await first.GetRequiredService<KeyLifecycleService>().ListVersionsAsync(core.Admin, key.Id, CancellationToken.None);
        Assert.Equal([3, 2, 1], versions.Select(v => v.Version));
    }

    /// <summary>Runs an action once, right after the next transaction commit (and before the caller continues).</summary>
    private sealed class AfterCommit : DbTransactionInterceptor
    {
        private Func<Task>? _action;

        public bool Fired { get; private set; }

        public void Arm(Func<Task> action) => _action = action;

        public override async Task TransactionCommittedAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
        {
            if (Interlocked.Exchange(ref _action, null) is { } action)
            {
                Fired = true;
                await action();
            }

            await base.TransactionCommittedAsync(transaction, eventData, cancellationToken);
        }
    }
}
