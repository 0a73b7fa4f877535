using InfisicalKms.Core.Errors;
using InfisicalKms.Core.Keys;
using InfisicalKms.Core.Kmip;
using InfisicalKms.Core.Storage;
using InfisicalKms.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace InfisicalKms.Tests.Core.Kmip;

/// <summary>
/// A key's KMIP lifecycle seen from the REST API and the UI: enabling a Pre-Active key activates it over KMIP too,
/// and a key revoked over KMIP stays disabled.
/// </summary>
public sealed class KmipKeyStateTests(CoreTestHost core) : IClassFixture<CoreTestHost>
{
    [Fact]
    public async Task EnablingPreActiveKey_MakesItActiveOverKmip()
    {
        KmsKey key = await KeyInStateAsync("pre-active-key", KmipState.PreActive);

        KmsKey updated = await core.Keys.UpdateAsync(core.AdminActor, key.Id, new UpdateKeyRequest(null, null, IsDisabled: false), CancellationToken.None);

        Assert.False(updated.IsDisabled);
        KmipKeyState state = await StateAsync(key.Id);
        Assert.Equal(KmipState.Active, state.State);
        Assert.NotNull(state.ActivationDate);
    }

    [Theory]
    [InlineData(KmipState.Deactivated, "deactivated")]
    [InlineData(KmipState.Compromised, "compromised")]
    public async Task EnablingKeyRevokedOverKmip_IsRefused_AndChangesNothing(KmipState revoked, string word)
    {
        KmsKey key = await KeyInStateAsync($"revoked-{word}", revoked);

        KmsBadRequestException error = await Assert.ThrowsAsync<KmsBadRequestException>(() =>
            core.Keys.UpdateAsync(core.AdminActor, key.Id, new UpdateKeyRequest(null, null, IsDisabled: false), CancellationToken.None));

        Assert.Equal($"Key was revoked over KMIP ({word}) and cannot be enabled again", error.Message);
        Assert.True((await core.ReloadKeyAsync(key.Id)).IsDisabled);
        Assert.Equal(revoked, (await StateAsync(key.Id)).State);
    }

    /// <summary>A disabled key with the KMIP state a KMIP client would have left it in.</summary>
    private async Task<KmsKey> KeyInStateAsync(string name, KmipState state)
    {
        KmsKey key = await core.CreateKeyAsync(core.Project, name, KeyAlgorithm.Aes256Gcm);
        await core.Keys.UpdateAsync(core.AdminActor, key.Id, new UpdateKeyRequest(null, null, IsDisabled: true), CancellationToken.None);
        await using KmsDbContext db = await Db().CreateDbContextAsync();
        db.KmipKeyStates.Add(new KmipKeyState { KeyId = key.Id, Name = name, State = state });
        await db.SaveChangesAsync();
        return key;
    }

    private async Task<KmipKeyState> StateAsync(Guid keyId)
    {
        await using KmsDbContext db = await Db().CreateDbContextAsync();
        return await db.KmipKeyStates.AsNoTracking().SingleAsync(s => s.KeyId == keyId);
    }

    private IDbContextFactory<KmsDbContext> Db() => core.Services.GetRequiredService<IDbContextFactory<KmsDbContext>>();
}
