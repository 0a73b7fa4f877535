using System.Text;
using InfisicalKms.Core.Crypto;
using InfisicalKms.Core.Errors;
using InfisicalKms.Core.Keys;
using Microsoft.Extensions.DependencyInjection;

namespace InfisicalKms.Tests.Core.Keys;

/// <summary>
/// The lifecycle services without HTTP: scheduled rotation across several server processes sharing one database,
/// material kept per version, export of the current version only, and the HMAC import length rules.
/// </summary>
public sealed class KeyLifecycleCoreTests : IAsyncLifetime
{
    private CoreKeysHarness _core = default!;

    public async Task InitializeAsync() => _core = await CoreKeysHarness.StartAsync();

    public async Task DisposeAsync() => await _core.DisposeAsync();

    [Fact]
    public async Task Scheduler_TwoProcessesOnOneDatabase_RotateADueKeyExactlyOnceAsync()
    {
        IServiceProvider other = await _core.StartProcessAsync();
        KmsKey key = await CreateAsync("shared", KeyAlgorithm.Aes256Gcm);
        await Lifecycle(_core.Services).SetRotationScheduleAsync(_core.Admin, key.Id, true, 2, CancellationToken.None);
        _core.Clock.Advance(TimeSpan.FromDays(2));

        int[] rotated = await Task.WhenAll(
            _core.Services.GetRequiredService<KeyRotationScheduler>().RunDueRotationsAsync(CancellationToken.None),
            other.GetRequiredService<KeyRotationScheduler>().RunDueRotationsAsync(CancellationToken.None));

        Assert.Equal(1, rotated.Sum());
        KmsKey after = await Keys().GetAsync(_core.Admin, key.Id, CancellationToken.None);
        Assert.Equal(2, after.Version);
        Assert.Equal(_core.Clock.GetUtcNow().UtcDateTime.AddDays(2), after.NextRotationAt);
        Assert.Equal([2, 1], (await Lifecycle(_core.Services).ListVersionsAsync(_core.Admin, key.Id, CancellationToken.None)).Select(v => v.Version));
    }

    [Fact]
    public async Task Scheduler_DueMacKey_RotatesAndOldMacsStillVerifyAsync()
    {
        KmsKey key = await CreateAsync("mac", KeyAlgorithm.HmacSha224, KeyUsage.GenerateVerifyMac);
        KeyMacService macs = _core.Services.GetRequiredService<KeyMacService>();
        byte[] data = Encoding.UTF8.GetBytes("scheduled mac");
        (byte[] before, _) = await macs.GenerateMacAsync(_core.Admin, key.Id, data, CancellationToken.None);
        await Lifecycle(_core.Services).SetRotationScheduleAsync(_core.Admin, key.Id, true, 1, CancellationToken.None);

        _core.Clock.Advance(TimeSpan.FromDays(1));
        Assert.Equal(1, await _core.Services.GetRequiredService<KeyRotationScheduler>().RunDueRotationsAsync(CancellationToken.None));
        (byte[] after, KeyAlgorithm algorithm) = await macs.GenerateMacAsync(_core.Admin, key.Id, data, CancellationToken.None);

        Assert.Equal(KeyAlgorithm.HmacSha224, algorithm);
        Assert.Equal(28, after.Length);
        Assert.NotEqual(before, after);
        Assert.True((await macs.VerifyMacAsync(_core.Admin, key.Id, data, before, CancellationToken.None)).Valid);
        Assert.True((await macs.VerifyMacAsync(_core.Admin, key.Id, data, after, CancellationToken.None)).Valid);
    }

    [Fact]
    public async Task Rotate_ManuallyWithoutSchedule_LeavesNextRotationEmptyAndKeepsTheIntervalOffAsync()
    {
        KmsKey key = await CreateAsync("manual", KeyAlgorithm.Aes128Gcm);
        _core.Clock.Advance(TimeSpan.FromMinutes(7));

        KmsKey rotated = await Lifecycle(_core.Services).RotateAsync(_core.Admin, key.Id, CancellationToken.None);

        Assert.Equal(2, rotated.Version);
        Assert.Equal(_core.Clock.GetUtcNow().UtcDateTime, rotated.LastRotatedAt);
        Assert.Equal(_core.Clock.GetUtcNow().UtcDateTime, rotated.UpdatedAt);
        Assert.Null(rotated.NextRotationAt);
        Assert.False(rotated.RotationEnabled);
    }

    [Fact]
    public async Task Rotate_SignVerifyKey_ThrowsInfisicalsMessageAsync()
    {
        KmsKey key = await CreateAsync("ecc", KeyAlgorithm.EccNistP521, KeyUsage.SignVerify);

        KmsBadRequestException refusal = await Assert.ThrowsAsync<KmsBadRequestException>(
            () => Lifecycle(_core.Services).RotateAsync(_core.Admin, key.Id, CancellationToken.None));

        Assert.Equal(KeyLifecycleService.SignVerifyRotationMessage, refusal.Message);
    }

    [Fact]
    public async Task Export_AfterRotations_IsAlwaysTheCurrentVersionsMaterialAsync()
    {
        KmsKey key = await CreateAsync("export", KeyAlgorithm.Aes256Gcm, exportable: true);
        KeyCryptoService crypto = _core.Services.GetRequiredService<KeyCryptoService>();
        var seen = new List<byte[]>();
        for (int version = 1; version <= 3; version++)
        {
            byte[] material = await Lifecycle(_core.Services).ExportAsync(_core.Admin, key.Id, CancellationToken.None);
            EncryptResult sealedBlob = await crypto.EncryptAsync(_core.Admin, key.Id, [1, 2, 3], null, CancellationToken.None);
            Assert.Equal(version, sealedBlob.KeyVersion);
            Assert.True(CiphertextBlob.TryOpen(sealedBlob.Ciphertext, out int payloadLength, out _));
            Assert.Equal([1, 2, 3], AesGcmCipher.Decrypt(material, sealedBlob.Ciphertext.AsSpan(0, payloadLength), default));
            Assert.DoesNotContain(seen, previous => previous.SequenceEqual(material));
            seen.Add(material);
            await Lifecycle(_core.Services).RotateAsync(_core.Admin, key.Id, CancellationToken.None);
        }

        IReadOnlyList<ExportedKey> bulk = await Lifecycle(_core.Services).BulkExportAsync(_core.Admin, [key.Id], CancellationToken.None);
        Assert.Equal(4, bulk.Single().Key.Version);
        Assert.DoesNotContain(seen, previous => previous.SequenceEqual(bulk.Single().PrivateKey));
        Assert.Null(bulk.Single().PublicKey);
        Assert.DoesNotContain(Convert.ToBase64String(bulk.Single().PrivateKey), bulk.Single().ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Import_DuplicateNamesInOneRequest_OnlyTheFirstIsImportedAsync()
    {
        KeyImportService import = _core.Services.GetRequiredService<KeyImportService>();
        ImportEntry first = new("twin", null, KeyAlgorithm.Aes128Gcm, new byte[16], IsExportable: false);
        ImportEntry second = new("twin", "later", KeyAlgorithm.HmacSha256, new byte[32], IsExportable: true);
        ImportEntry other = new("single", null, KeyAlgorithm.HmacSha1, new byte[20], IsExportable: false);

        IReadOnlyList<ImportResult> results = await import.ImportAsync(_core.Admin, _core.ProjectId, [first, second, other], CancellationToken.None);

        Assert.Equal(["twin", "twin", "single"], results.Select(r => r.Name));
        Assert.Equal(KeyAlgorithm.Aes128Gcm, results[0].Key!.Algorithm);
        Assert.Null(results[1].Key);
        Assert.Equal($"A KMS key with the name \"twin\" already exists for the project with ID \"{_core.ProjectId}\"", results[1].Error);
        Assert.Equal(1, results[2].Key!.Version);
        Assert.False(results[2].Key!.IsDisabled);
        Assert.DoesNotContain("AAAA", first.ToString(), StringComparison.Ordinal);
    }

    public static TheoryData<KeyAlgorithm, int, string?> MaterialLengths => new()
    {
        { KeyAlgorithm.Aes256Gcm, 32, null },
        { KeyAlgorithm.Aes256Gcm, 31, "Invalid key material length for aes-256-gcm. Expected 32 bytes, got 31." },
        { KeyAlgorithm.Aes256Gcm, 16, "Invalid key material length for aes-256-gcm. Expected 32 bytes, got 16." },
        { KeyAlgorithm.Aes128Gcm, 16, null },
        { KeyAlgorithm.Aes128Gcm, 32, "Invalid key material length for aes-128-gcm. Expected 16 bytes, got 32." },
        { KeyAlgorithm.HmacSha1, 15, "Invalid key material length for HMAC_SHA_1. Expected between 16 and 64 bytes, got 15." },
        { KeyAlgorithm.HmacSha1, 16, null },
        { KeyAlgorithm.HmacSha1, 64, null },
        { KeyAlgorithm.HmacSha224, 65, "Invalid key material length for HMAC_SHA_224. Expected between 16 and 64 bytes, got 65." },
        { KeyAlgorithm.HmacSha256, 8, "Invalid key material length for HMAC_SHA_256. Expected between 16 and 64 bytes, got 8." },
        { KeyAlgorithm.HmacSha256, 64, null },
        { KeyAlgorithm.HmacSha384, 128, null },
        { KeyAlgorithm.HmacSha384, 129, "Invalid key material length for HMAC_SHA_384. Expected between 16 and 128 bytes, got 129." },
        { KeyAlgorithm.HmacSha512, 65, null },
        { KeyAlgorithm.HmacSha512, 0, "Invalid key material length for HMAC_SHA_512. Expected between 16 and 128 bytes, got 0." },
    };

    [Theory]
    [MemberData(nameof(MaterialLengths))]
    public void MaterialLengthError_FollowsSection715(KeyAlgorithm algorithm, int length, string? message)
    {
        Assert.Equal(message, KeyImportService.MaterialLengthError(algorithm, length));
    }

    private Task<KmsKey> CreateAsync(string name, KeyAlgorithm algorithm, KeyUsage usage = KeyUsage.EncryptDecrypt, bool exportable = false) =>
        Keys().CreateAsync(_core.Admin, new CreateKeyRequest(_core.ProjectId, name, null, usage, algorithm, exportable), CancellationToken.None);

    private KeyService Keys() => _core.Services.GetRequiredService<KeyService>();

    private static KeyLifecycleService Lifecycle(IServiceProvider services) => services.GetRequiredService<KeyLifecycleService>();
}
