using System.Buffers.Binary;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using InfisicalKms.Tests.TestSupport;
using static InfisicalKms.Tests.Web.Api.Lifecycle.LifecycleApi;

namespace InfisicalKms.Tests.Web.Api.Lifecycle;

/// <summary>Manual rotation (spec §7.13), versions (§10.1), re-wrap (§10.4) and the decryption order (§6.3, §6.4).</summary>
public sealed class RotationApiTests(LifecycleServerFixture server) : IClassFixture<LifecycleServerFixture>
{
    private static readonly byte[] Plaintext = Encoding.UTF8.GetBytes("rotate me, keep me readable");

    private HttpClient Admin => server.Admin;

    [Fact]
    public async Task Rotate_Twice_EveryCiphertextDecryptsAndVersionsAreListedNewestFirstAsync()
    {
        JsonObject created = await CreateKeyAsync(Admin, server.ProjectId, Name("rot"));
        string keyId = (string)created["id"]!;
        Assert.Null(created["rotation"]!["lastRotatedAt"]?.GetValue<string>());

        string v1 = await EncryptAsync(Admin, keyId, Plaintext);
        JsonObject afterFirst = await RotateAsync(Admin, keyId);
        string v2 = await EncryptAsync(Admin, keyId, Plaintext);
        JsonObject afterSecond = await RotateAsync(Admin, keyId);
        string v3 = await EncryptAsync(Admin, keyId, Plaintext);

        // Blob formats (spec §6.3): v01 for version 1, v02 carrying the version afterwards.
        Assert.EndsWith("v01", Encoding.ASCII.GetString(Convert.FromBase64String(v1)), StringComparison.Ordinal);
        Assert.Equal(Plaintext.Length + 31, Convert.FromBase64String(v1).Length);
        Assert.Equal(Plaintext.Length + 35, Convert.FromBase64String(v2).Length);
        Assert.Equal(2, BlobVersion(v2));
        Assert.Equal(3, BlobVersion(v3));

        foreach (string blob in new[] { v1, v2, v3 })
        {
            Assert.Equal(Plaintext, await DecryptOkAsync(Admin, keyId, blob));
        }

        // The key object (spec §7.13): version, lastRotatedAt set, updatedAt moves.
        Assert.Equal(2, (int)afterFirst["version"]!);
        Assert.Equal(3, (int)afterSecond["version"]!);
        string? lastRotatedAt = (string?)afterSecond["rotation"]!["lastRotatedAt"];
        Assert.NotNull(lastRotatedAt);
        Assert.Matches(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$", lastRotatedAt);
        Assert.Equal(lastRotatedAt, (string?)afterSecond["updatedAt"]);
        Assert.False((bool)afterSecond["rotation"]!["enabled"]!);
        Assert.Null(afterSecond["rotation"]!["nextRotationAt"]?.GetValue<string>());
        Assert.Equal(3, (int)(await GetKeyAsync(Admin, keyId))["version"]!);

        // Versions (spec §10.1): newest first, only the newest is current.
        JsonArray versions = (await ApiAssert.OkAsync(await Admin.GetAsync($"/api/v1/kms/keys/{keyId}/versions")))["versions"]!.AsArray();
        Assert.Equal([3, 2, 1], versions.Select(v => (int)v!["version"]!));
        Assert.Equal([true, false, false], versions.Select(v => (bool)v!["isCurrent"]!));
        Assert.Equal((string?)created["createdAt"], (string?)versions[2]!["createdAt"]);
        Assert.Equal(lastRotatedAt, (string?)versions[0]!["createdAt"]);
    }

    [Fact]
    public async Task Rotate_WithJsonObjectBody_MembersAreIgnoredAsync()
    {
        string keyId = (string)(await CreateKeyAsync(Admin, server.ProjectId, Name("rot-body")))["id"]!;

        JsonObject body = await ApiAssert.OkAsync(await Admin.PostAsJsonAsync($"/api/v1/kms/keys/{keyId}/rotate", new { version = 42 }));

        Assert.Equal(2, (int)body["key"]!["version"]!);
    }

    [Theory]
    [InlineData("ECC_NIST_P256")]
    [InlineData("ECC_NIST_P384")]
    public async Task Rotate_SignVerifyKey_Is400WithInfisicalsMessageAsync(string algorithm)
    {
        // The rule is the usage's (RSA_4096 behaves the same; its key generation is not worth the seconds here).
        JsonObject key = await CreateKeyAsync(Admin, server.ProjectId, Name("sig"), "sign-verify", algorithm);
        string keyId = (string)key["id"]!;
        Assert.False(key.ContainsKey("rotation"));   // omitted on sign-verify keys (spec §3)

        await ApiAssert.ErrorAsync(await Admin.PostAsync($"/api/v1/kms/keys/{keyId}/rotate", null), 400, "BadRequest", SignVerifyRotation);
        await ApiAssert.ErrorAsync(await Admin.PutAsJsonAsync($"/api/v1/kms/keys/{keyId}/rotation-schedule", new { enabled = true, intervalDays = 30 }),
            400, "BadRequest", SignVerifyRotation);
        JsonArray versions = (await ApiAssert.OkAsync(await Admin.GetAsync($"/api/v1/kms/keys/{keyId}/versions")))["versions"]!.AsArray();
        Assert.Single(versions);
    }

    [Fact]
    public async Task Rotate_DisabledKey_IsKeyDisabledAndAddsNoVersionAsync()
    {
        string keyId = (string)(await CreateKeyAsync(Admin, server.ProjectId, Name("off")))["id"]!;
        await ApiAssert.OkAsync(await DisableAsync(Admin, keyId));

        await ApiAssert.ErrorAsync(await Admin.PostAsync($"/api/v1/kms/keys/{keyId}/rotate", null), 400, "BadRequest", "Key is disabled");

        Assert.Equal(1, (int)(await GetKeyAsync(Admin, keyId))["version"]!);
        await ApiAssert.OkAsync(await DisableAsync(Admin, keyId, disabled: false));
        Assert.Equal(2, (int)(await RotateAsync(Admin, keyId))["version"]!);
    }

    [Fact]
    public async Task RotateVersionsAndSchedule_Roles_FollowSection93Async()
    {
        string keyId = (string)(await CreateKeyAsync(Admin, server.ProjectId, Name("roles")))["id"]!;
        string schedule = $"/api/v1/kms/keys/{keyId}/rotation-schedule";
        HttpClient member = await CallerAsync(server.Factory, server.ProjectId, "member");
        HttpClient viewer = await CallerAsync(server.Factory, server.ProjectId, "viewer");
        HttpClient operatorClient = await CallerAsync(server.Factory, server.ProjectId, "cryptographic-operator");
        HttpClient noAccess = await CallerAsync(server.Factory, server.ProjectId, "no-access");
        HttpClient outsider = await CallerAsync(server.Factory, server.ProjectId, role: null);

        Assert.Equal(2, (int)(await RotateAsync(member, keyId))["version"]!);
        await ApiAssert.OkAsync(await member.PutAsJsonAsync(schedule, new { enabled = true, intervalDays = 9 }));
        foreach (HttpClient refused in new[] { viewer, operatorClient, noAccess })
        {
            await ApiAssert.ErrorAsync(await refused.PostAsync($"/api/v1/kms/keys/{keyId}/rotate", null), 403, "PermissionDenied", "You are not allowed to rotate on cmek");
            await ApiAssert.ErrorAsync(await refused.PutAsJsonAsync(schedule, new { enabled = false }), 403, "PermissionDenied", "You are not allowed to edit on cmek");
        }

        await ApiAssert.ErrorAsync(await outsider.PostAsync($"/api/v1/kms/keys/{keyId}/rotate", null), 404, "NotFound", $"Key with ID \"{keyId}\" not found");
        await ApiAssert.ErrorAsync(await outsider.GetAsync($"/api/v1/kms/keys/{keyId}/versions"), 404, "NotFound", $"Key with ID \"{keyId}\" not found");
        await ApiAssert.ErrorAsync(await operatorClient.GetAsync($"/api/v1/kms/keys/{keyId}/versions"), 403, "PermissionDenied", "You are not allowed to read on cmek");
        await ApiAssert.ErrorAsync(await noAccess.GetAsync($"/api/v1/kms/keys/{keyId}/versions"), 403, "PermissionDenied", "You are not allowed to read on cmek");
        JsonArray versions = (await ApiAssert.OkAsync(await viewer.GetAsync($"/api/v1/kms/keys/{keyId}/versions")))["versions"]!.AsArray();
        Assert.Equal([2, 1], versions.Select(v => (int)v!["version"]!));
        Assert.Equal(2, (int)(await GetKeyAsync(Admin, keyId))["version"]!);
    }

    [Fact]
    public async Task VersionsAndSchedule_OfADisabledKey_StillWorkAsync()
    {
        // No disabled check on versions and rotation-schedule (spec §2.6).
        string keyId = (string)(await CreateKeyAsync(Admin, server.ProjectId, Name("off-sched")))["id"]!;
        await RotateAsync(Admin, keyId);
        await ApiAssert.OkAsync(await DisableAsync(Admin, keyId));

        JsonArray versions = (await ApiAssert.OkAsync(await Admin.GetAsync($"/api/v1/kms/keys/{keyId}/versions")))["versions"]!.AsArray();
        JsonObject scheduled = await ApiAssert.OkAsync(await Admin.PutAsJsonAsync($"/api/v1/kms/keys/{keyId}/rotation-schedule", new { enabled = true, intervalDays = 3 }));

        Assert.Equal(2, versions.Count);
        Assert.True((bool)scheduled["key"]!["rotation"]!["enabled"]!);
        Assert.True((bool)scheduled["key"]!["isDisabled"]!);
    }

    [Fact]
    public async Task Rotate_UnknownOrMalformedKey_Is404Or422Async()
    {
        string unknown = Guid.NewGuid().ToString().ToUpperInvariant();

        await ApiAssert.ErrorAsync(await Admin.PostAsync($"/api/v1/kms/keys/{unknown}/rotate", null), 404, "NotFound", $"Key with ID \"{unknown}\" not found");
        await ApiAssert.ErrorAsync(await Admin.PostAsync("/api/v1/kms/keys/not-a-uuid/rotate", null), 422, "ValidationFailure", "keyId: Invalid uuid");
    }

    [Fact]
    public async Task Rewrap_V01Blob_ReturnsV02BlobOfTheCurrentVersionWithTheSamePlaintextAsync()
    {
        string keyId = (string)(await CreateKeyAsync(Admin, server.ProjectId, Name("rewrap")))["id"]!;
        string v1 = await EncryptAsync(Admin, keyId, Plaintext);
        await RotateAsync(Admin, keyId);
        await RotateAsync(Admin, keyId);

        JsonObject body = await ApiAssert.OkAsync(await PostAsync(Admin, $"/api/v1/kms/keys/{keyId}/rewrap", new { ciphertext = v1 }));
        string rewrapped = (string)body["ciphertext"]!;

        Assert.Equal(3, BlobVersion(rewrapped));
        Assert.Equal(Plaintext.Length + 35, Convert.FromBase64String(rewrapped).Length);
        Assert.Equal(Plaintext, await DecryptOkAsync(Admin, keyId, rewrapped));

        // A blob already under the current version is re-encrypted too, with a fresh IV.
        string again = (string)(await ApiAssert.OkAsync(await PostAsync(Admin, $"/api/v1/kms/keys/{keyId}/rewrap", new { ciphertext = rewrapped })))["ciphertext"]!;
        Assert.NotEqual(rewrapped, again);
        Assert.Equal(3, BlobVersion(again));
        Assert.Equal(Plaintext, await DecryptOkAsync(Admin, keyId, again));
    }

    [Fact]
    public async Task Rewrap_TamperedBlob_IsTheGenericDecryptionErrorAsync()
    {
        string keyId = (string)(await CreateKeyAsync(Admin, server.ProjectId, Name("rewrap-bad")))["id"]!;
        byte[] blob = Convert.FromBase64String(await EncryptAsync(Admin, keyId, Plaintext));
        blob[13] ^= 0x01;

        await ApiAssert.ErrorAsync(await PostAsync(Admin, $"/api/v1/kms/keys/{keyId}/rewrap", new { ciphertext = Convert.ToBase64String(blob) }),
            400, "BadRequest", DecryptionFailed);
    }

    [Theory]
    [InlineData(99u)]           // no such version: step 1 is skipped, the current version decrypts
    [InlineData(1u)]            // an existing but wrong version: tried first, then the current one
    [InlineData(0u)]            // never a version
    [InlineData(0xFFFFFFFFu)]   // beyond int
    public async Task Decrypt_V02BlobWithAnotherEmbeddedVersion_StillDecryptsAsync(uint embedded)
    {
        string keyId = (string)(await CreateKeyAsync(Admin, server.ProjectId, Name("order")))["id"]!;
        await RotateAsync(Admin, keyId);
        byte[] blob = Convert.FromBase64String(await EncryptAsync(Admin, keyId, Plaintext));
        Assert.Equal(2, BlobVersion(Convert.ToBase64String(blob)));

        BinaryPrimitives.WriteUInt32BigEndian(blob.AsSpan(blob.Length - 7, 4), embedded);

        Assert.Equal(Plaintext, await DecryptOkAsync(Admin, keyId, Convert.ToBase64String(blob)));
    }

    [Fact]
    public async Task Decrypt_OldVersionBlobLabelledWithTheCurrentVersion_FallsBackToOlderVersionsAsync()
    {
        // A blob of version 1 re-labelled "version 3": step 1 (3) and 2 (current = 3) fail, step 3 finds 1.
        string keyId = (string)(await CreateKeyAsync(Admin, server.ProjectId, Name("order-old")))["id"]!;
        byte[] v1 = Convert.FromBase64String(await EncryptAsync(Admin, keyId, Plaintext));
        await RotateAsync(Admin, keyId);
        await RotateAsync(Admin, keyId);
        byte[] relabelled = new byte[v1.Length + 4];
        v1.AsSpan(0, v1.Length - 3).CopyTo(relabelled);
        BinaryPrimitives.WriteUInt32BigEndian(relabelled.AsSpan(v1.Length - 3, 4), 3);
        "v02"u8.CopyTo(relabelled.AsSpan(v1.Length + 1));

        Assert.Equal(Plaintext, await DecryptOkAsync(Admin, keyId, Convert.ToBase64String(relabelled)));
    }

    [Theory]
    [InlineData("tag")]
    [InlineData("ciphertext")]
    [InlineData("iv")]
    [InlineData("suffix")]
    [InlineData("truncated")]
    public async Task Decrypt_TamperedV02Blob_IsTheGenericDecryptionErrorAsync(string part)
    {
        string keyId = (string)(await CreateKeyAsync(Admin, server.ProjectId, Name("tamper")))["id"]!;
        await RotateAsync(Admin, keyId);
        byte[] blob = Convert.FromBase64String(await EncryptAsync(Admin, keyId, Plaintext));
        int tagStart = blob.Length - 7 - 16;
        switch (part)
        {
            case "tag": blob[tagStart + 5] ^= 0x80; break;
            case "ciphertext": blob[12] ^= 0x01; break;
            case "iv": blob[0] ^= 0x01; break;
            case "suffix": blob[^1] = (byte)'3'; break;
            case "truncated": blob = blob[^34..]; break;
        }

        await ApiAssert.ErrorAsync(await DecryptAsync(Admin, keyId, Convert.ToBase64String(blob)), 400, "BadRequest", DecryptionFailed);
    }

    [Fact]
    public async Task Decrypt_BlobOfAnotherKey_IsTheGenericDecryptionErrorAsync()
    {
        string first = (string)(await CreateKeyAsync(Admin, server.ProjectId, Name("one")))["id"]!;
        string second = (string)(await CreateKeyAsync(Admin, server.ProjectId, Name("two")))["id"]!;
        await RotateAsync(Admin, second);

        await ApiAssert.ErrorAsync(await DecryptAsync(Admin, second, await EncryptAsync(Admin, first, Plaintext)), 400, "BadRequest", DecryptionFailed);
    }

    [Fact]
    public async Task Rotate_Concurrently_EachRotationProducesItsOwnVersionAsync()
    {
        string keyId = (string)(await CreateKeyAsync(Admin, server.ProjectId, Name("race")))["id"]!;

        JsonObject[] rotated = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => RotateAsync(Admin, keyId)));

        Assert.Equal([2, 3, 4, 5], rotated.Select(k => (int)k["version"]!).Order());
        JsonArray versions = (await ApiAssert.OkAsync(await Admin.GetAsync($"/api/v1/kms/keys/{keyId}/versions")))["versions"]!.AsArray();
        Assert.Equal([5, 4, 3, 2, 1], versions.Select(v => (int)v!["version"]!));
    }
}
