using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using InfisicalKms.Tests.TestSupport;
using InfisicalKms.Tests.Web.Api.Lifecycle;
using static InfisicalKms.Tests.Web.Api.Lifecycle.LifecycleApi;

namespace InfisicalKms.Tests.Interop;

/// <summary>
/// Spec §6.5: blobs made outside this project by node:crypto in Infisical's layout (v01, and v02 with any version)
/// decrypt here once the raw key material is bulk-imported; blobs made here open in node. Export gives back
/// exactly the imported bytes.
/// </summary>
public sealed class InfisicalBlobInteropTests(LifecycleServerFixture server) : IClassFixture<LifecycleServerFixture>
{
    private HttpClient Admin => server.Admin;

    [Theory]
    [InlineData("aes-256-gcm", 32)]
    [InlineData("aes-128-gcm", 16)]
    public async Task NodeBlobs_V01AndV02_DecryptAfterImportingTheMaterialAsync(string algorithm, int keySize)
    {
        byte[] key = RandomNumberGenerator.GetBytes(keySize);
        byte[][] plaintexts = [Encoding.UTF8.GetBytes("made by node:crypto"), [], RandomNumberGenerator.GetBytes(4096), Encoding.UTF8.GetBytes("v02 of version 2")];
        int[] versions = [1, 1, 1, 2];
        NodeResult node = await RunNodeAsync(
            plaintexts.Select((p, i) => new { keyHex = Convert.ToHexString(key), plaintext = Convert.ToBase64String(p), version = versions[i] }).ToArray(),
            []);
        Assert.Equal(4, node.Encrypted.Length);
        Assert.EndsWith("v01", Tail(node.Encrypted[0]), StringComparison.Ordinal);
        Assert.Equal(2, BlobVersion(node.Encrypted[3]));

        string keyId = await ImportKeyAsync(Admin, server.ProjectId, Name("from-node"), algorithm, key, isExportable: true);

        for (int i = 0; i < plaintexts.Length; i++)
        {
            Assert.Equal(plaintexts[i], await DecryptOkAsync(Admin, keyId, node.Encrypted[i]));
        }

        JsonObject imported = await GetKeyAsync(Admin, keyId);
        Assert.Equal(1, (int)imported["version"]!);
        Assert.Equal(algorithm, (string?)imported["algorithm"]);
        Assert.Equal(key, Convert.FromBase64String((string)(await ApiAssert.OkAsync(await Admin.GetAsync($"/api/v1/kms/keys/{keyId}/private-key")))["privateKey"]!));
    }

    [Fact]
    public async Task NodeBlobs_OfSeveralInfisicalVersions_DecryptAfterImportingEachVersionsMaterialAndRotatingAsync()
    {
        // Infisical version numbers need not match ours (spec §6.5): blobs labelled 7 and 9 decrypt by trying versions.
        byte[] material = RandomNumberGenerator.GetBytes(32);
        NodeResult node = await RunNodeAsync(
            [
                new { keyHex = Convert.ToHexString(material), plaintext = Base64("labelled 7"), version = 7 },
                new { keyHex = Convert.ToHexString(material), plaintext = Base64("labelled 9"), version = 9 },
            ],
            []);
        string keyId = await ImportKeyAsync(Admin, server.ProjectId, Name("node-versions"), "aes-256-gcm", material);
        await RotateAsync(Admin, keyId);
        await RotateAsync(Admin, keyId);

        Assert.Equal(Encoding.UTF8.GetBytes("labelled 7"), await DecryptOkAsync(Admin, keyId, node.Encrypted[0]));
        Assert.Equal(Encoding.UTF8.GetBytes("labelled 9"), await DecryptOkAsync(Admin, keyId, node.Encrypted[1]));

        // Re-wrap moves the foreign blob to our current version.
        string rewrapped = (string)(await ApiAssert.OkAsync(await Admin.PostAsJsonAsync($"/api/v1/kms/keys/{keyId}/rewrap",
            new { ciphertext = node.Encrypted[0] })))["ciphertext"]!;
        Assert.Equal(3, BlobVersion(rewrapped));
        Assert.Equal(Encoding.UTF8.GetBytes("labelled 7"), await DecryptOkAsync(Admin, keyId, rewrapped));
    }

    [Fact]
    public async Task ServerBlobs_WithoutAad_OpenInNodeWithTheExportedMaterialAsync()
    {
        byte[] material = RandomNumberGenerator.GetBytes(32);
        string keyId = await ImportKeyAsync(Admin, server.ProjectId, Name("to-node"), "aes-256-gcm", material, isExportable: true);
        string v1 = await EncryptAsync(Admin, keyId, Encoding.UTF8.GetBytes("made by InfisicalKms"));
        await RotateAsync(Admin, keyId);
        byte[] current = Convert.FromBase64String((string)(await ApiAssert.OkAsync(await Admin.GetAsync($"/api/v1/kms/keys/{keyId}/private-key")))["privateKey"]!);
        string v2 = await EncryptAsync(Admin, keyId, Encoding.UTF8.GetBytes("after rotation"));
        string withAad = await EncryptAsync(Admin, keyId, Encoding.UTF8.GetBytes("bound"), Base64("aad"));

        NodeResult node = await RunNodeAsync([],
            [
                new { keyHex = Convert.ToHexString(material), blob = v1 },
                new { keyHex = Convert.ToHexString(current), blob = v2 },
                new { keyHex = Convert.ToHexString(material), blob = v2 },
                new { keyHex = Convert.ToHexString(current), blob = withAad },
            ]);

        Assert.Equal(Base64("made by InfisicalKms"), node.Decrypted[0]);
        Assert.Equal(Base64("after rotation"), node.Decrypted[1]);
        Assert.Null(node.Decrypted[2]);   // older material does not open the new version's blob
        Assert.Null(node.Decrypted[3]);   // an AAD blob is not an Infisical blob (spec §6.6)
        Assert.NotEqual(material, current);
    }

    [Fact]
    public async Task NodeBlob_Tampered_IsTheGenericDecryptionErrorAsync()
    {
        byte[] material = RandomNumberGenerator.GetBytes(16);
        NodeResult node = await RunNodeAsync([new { keyHex = Convert.ToHexString(material), plaintext = Base64("x"), version = 2 }], []);
        string keyId = await ImportKeyAsync(Admin, server.ProjectId, Name("node-bad"), "aes-128-gcm", material);
        byte[] blob = Convert.FromBase64String(node.Encrypted[0]);
        blob[^8] ^= 0x01;   // last tag byte

        await ApiAssert.ErrorAsync(await DecryptAsync(Admin, keyId, Convert.ToBase64String(blob)), 400, "BadRequest", DecryptionFailed);
    }

    private static async Task<NodeResult> RunNodeAsync(object[] encrypt, object[] decrypt)
    {
        string script = Path.Combine(ExternalTools.InteropFolder, "infisical-blobs.mjs");
        Assert.True(File.Exists(script), $"missing {script}");
        string output = await ExternalTools.RunOkAsync("node", [script], JsonSerializer.Serialize(new { encrypt, decrypt }));
        JsonObject result = JsonNode.Parse(output)!.AsObject();
        return new NodeResult(
            result["encrypted"]!.AsArray().Select(b => (string)b!).ToArray(),
            result["decrypted"]!.AsArray().Select(p => (string?)p).ToArray());
    }

    private static string Tail(string blob) => Encoding.ASCII.GetString(Convert.FromBase64String(blob)[^3..]);

    private sealed record NodeResult(string[] Encrypted, string?[] Decrypted);
}
