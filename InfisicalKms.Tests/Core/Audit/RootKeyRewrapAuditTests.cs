using System.Security.Cryptography;
using InfisicalKms.Core.Audit;
using InfisicalKms.Core.RootKeys;
using InfisicalKms.Core.Storage;
using InfisicalKms.Tests.TestSupport;
using InfisicalKms.Tests.Web.Audit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace InfisicalKms.Tests.Core.Audit;

/// <summary>
/// The root-key command (spec §11.7) records each re-wrap in the organization chain, as the system actor
/// <c>root-key-command</c> with no origin, and never the keys; a run that changes nothing records nothing.
/// </summary>
public sealed class RootKeyRewrapAuditTests(CoreTestHost core) : IClassFixture<CoreTestHost>
{
    [Fact]
    public async Task RotateEnvironmentKey_WritesOneSystemRecordAndANoOpRunNone()
    {
        byte[] newKey = RandomNumberGenerator.GetBytes(32);
        RootKeyRewrapper rewrapper = core.Services.GetRequiredService<RootKeyRewrapper>();
        long before = await LastSequenceAsync();

        RootKeyRewrapResult result = await rewrapper.RotateEnvironmentKeyAsync(newKey, RootKeySettings.NewRootEncryptionKeyVariable, CancellationToken.None);
        long afterFirst = await LastSequenceAsync();
        RootKeyRewrapResult again = await rewrapper.RotateEnvironmentKeyAsync(newKey, RootKeySettings.NewRootEncryptionKeyVariable, CancellationToken.None);

        Assert.True(result.Changed, result.Message);
        Assert.False(again.Changed, again.Message);
        Assert.Equal(afterFirst, await LastSequenceAsync());
        await using KmsDbContext db = await DbAsync();
        AuditEvent record = Assert.Single(await db.AuditEvents.AsNoTracking().Where(e => e.Sequence > before).ToListAsync());
        Assert.Equal(("root-key-rewrap", core.Organization.Id, (Guid?)null, (Guid?)null), (record.EventType, record.ChainId, record.ProjectId, record.KeyId));
        Assert.Equal(("system", (Guid?)null, RootKeyRewrapper.ActorName), (record.ActorType, record.ActorId, record.ActorName));
        Assert.Equal(((string?)null, (string?)null, "success"), (record.IpAddress, record.UserAgent, record.Outcome));
        Assert.Equal(Expect.Meta(("action", "rotate-env-key"), ("strategy", "SOFTWARE")), record.Metadata);
        AuditEvent previous = await db.AuditEvents.AsNoTracking().SingleAsync(e => e.ChainId == record.ChainId && e.ChainIndex == record.ChainIndex - 1);
        Assert.Equal(previous.Hash, record.PrevHash);
        Assert.Equal(AuditHash.Compute(record), record.Hash);
        Assert.True((await core.Services.GetRequiredService<AuditLogService>().VerifyOrganizationAsync(core.AdminActor, CancellationToken.None)).Valid);
    }

    private Task<KmsDbContext> DbAsync() => core.Services.GetRequiredService<IDbContextFactory<KmsDbContext>>().CreateDbContextAsync();

    private async Task<long> LastSequenceAsync()
    {
        await using KmsDbContext db = await DbAsync();
        return await db.AuditEvents.MaxAsync(e => (long?)e.Sequence) ?? 0;
    }
}
