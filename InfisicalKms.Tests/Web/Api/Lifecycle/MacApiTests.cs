using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using InfisicalKms.Core.Crypto;
using InfisicalKms.Tests.TestSupport;
using static InfisicalKms.Tests.Web.Api.Lifecycle.LifecycleApi;

namespace InfisicalKms.Tests.Web.Api.Lifecycle;

/// <summary>MAC keys (spec §5.2, §6.10, §7.17, §7.18) and the HMAC material rules of bulk import (§7.15).</summary>
public sealed class MacApiTests(LifecycleServerFixture server) : IClassFixture<LifecycleServerFixture>
{
    private static readonly byte[] Message = Encoding.UTF8.GetBytes("hello world");

    private HttpClient Admin => server.Admin;

    [Theory]
    [InlineData("HMAC_SHA_256", 32)]
    [InlineData("HMAC_SHA_384", 48)]
    [InlineData("HMAC_SHA_512", 64)]
    [InlineData("HMAC_SHA_1", 20)]
    [InlineData("HMAC_SHA_224", 28)]
    public async Task Mac_EveryAlgorithm_GeneratesTheFullLengthHmacOfTheKeysMaterialAsync(string algorithm, int size)
    {
        JsonObject key = await CreateKeyAsync(Admin, server.ProjectId, Name("mac"), "generate-verify-mac", algorithm, isExportable: true);
        string keyId = (string)key["id"]!;
        Assert.Equal(algorithm, (string?)key["algorithm"]);
        Assert.Equal(algorithm, (string?)key["encryptionAlgorithm"]);
        Assert.NotNull(key["rotation"]);

        JsonObject generated = await GenerateAsync(keyId, Message);
        byte[] mac = Convert.FromBase64String((string)generated["mac"]!);
        byte[] material = Convert.FromBase64String((string)(await ApiAssert.OkAsync(await Admin.GetAsync($"/api/v1/kms/keys/{keyId}/private-key")))["privateKey"]!);

        Assert.Equal(size, mac.Length);
        Assert.Equal(size, material.Length);   // generated key size = hash output length (spec §5.2)
        Assert.Equal(keyId, (string?)generated["keyId"]);
        Assert.Equal(algorithm, (string?)generated["macAlgorithm"]);
        Assert.Equal(Hmac(algorithm, material, Message), mac);
        Assert.True(await VerifyAsync(keyId, Message, mac));
    }

    [Fact]
    public async Task Mac_SpecVector_ImportedKeyBytesGiveTheSection612MacAsync()
    {
        string keyId = await ImportKeyAsync(Admin, server.ProjectId, Name("mac-vec"), "HMAC_SHA_256", Bytes(0, 32), keyUsage: "generate-verify-mac");

        JsonObject generated = await GenerateAsync(keyId, Message);

        Assert.Equal("QRuaUehWXh/HlkOypsRnL0o8Plc8M9CZWgh0jLYSjo4=", (string?)generated["mac"]);
        Assert.Equal("HMAC_SHA_256", (string?)generated["macAlgorithm"]);
        Assert.True(await VerifyAsync(keyId, Message, Convert.FromBase64String("QRuaUehWXh/HlkOypsRnL0o8Plc8M9CZWgh0jLYSjo4=")));
    }

    [Fact]
    public async Task VerifyMac_TrueOnlyForTheExactMacOverTheExactDataAsync()
    {
        string keyId = (string)(await CreateKeyAsync(Admin, server.ProjectId, Name("vm"), "generate-verify-mac"))["id"]!;
        byte[] mac = Convert.FromBase64String((string)(await GenerateAsync(keyId, Message))["mac"]!);
        byte[] flipped = (byte[])mac.Clone();
        flipped[^1] ^= 0x01;

        Assert.True(await VerifyAsync(keyId, Message, mac));
        Assert.False(await VerifyAsync(keyId, Encoding.UTF8.GetBytes("hello world!"), mac));
        Assert.False(await VerifyAsync(keyId, Message, flipped));
        Assert.False(await VerifyAsync(keyId, Message, mac[..16]));                  // wrong length is just false
        Assert.False(await VerifyAsync(keyId, Message, [.. mac, 0]));
        Assert.False(await VerifyAsync(keyId, Message, []));
        Assert.False(await VerifyAsync(keyId, Message, new byte[1024]));

        JsonObject body = await ApiAssert.OkAsync(await Admin.PostAsJsonAsync($"/api/v1/kms/keys/{keyId}/verify-mac",
            new { data = Convert.ToBase64String(Message), mac = Convert.ToBase64String(flipped) }));
        Assert.Equal(keyId, (string?)body["keyId"]);
        Assert.Equal("HMAC_SHA_256", (string?)body["macAlgorithm"]);
    }

    [Fact]
    public async Task Mac_EmptyData_IsAllowedAsync()
    {
        string keyId = await ImportKeyAsync(Admin, server.ProjectId, Name("mac-empty"), "HMAC_SHA_512", Bytes(0, 128), keyUsage: "generate-verify-mac");

        byte[] mac = Convert.FromBase64String((string)(await GenerateAsync(keyId, []))["mac"]!);

        Assert.Equal(HMACSHA512.HashData(Bytes(0, 128), Array.Empty<byte>()), mac);
        Assert.True(await VerifyAsync(keyId, [], mac));
    }

    [Fact]
    public async Task Mac_AfterRotation_OldMacsStillVerifyAndNewMacsUseTheNewVersionAsync()
    {
        string keyId = (string)(await CreateKeyAsync(Admin, server.ProjectId, Name("mac-rot"), "generate-verify-mac", "HMAC_SHA_224"))["id"]!;
        byte[] before = Convert.FromBase64String((string)(await GenerateAsync(keyId, Message))["mac"]!);

        await RotateAsync(Admin, keyId);
        byte[] middle = Convert.FromBase64String((string)(await GenerateAsync(keyId, Message))["mac"]!);
        await RotateAsync(Admin, keyId);
        byte[] after = Convert.FromBase64String((string)(await GenerateAsync(keyId, Message))["mac"]!);

        Assert.NotEqual(before, after);
        Assert.NotEqual(middle, after);
        Assert.True(await VerifyAsync(keyId, Message, before));
        Assert.True(await VerifyAsync(keyId, Message, middle));
        Assert.True(await VerifyAsync(keyId, Message, after));
        Assert.False(await VerifyAsync(keyId, Encoding.UTF8.GetBytes("hello"), before));
        Assert.Equal(3, (int)(await GetKeyAsync(Admin, keyId))["version"]!);
    }

    [Fact]
    public async Task Mac_WrongUsageDisabledAndRoles_AreRefusedAsync()
    {
        string aes = (string)(await CreateKeyAsync(Admin, server.ProjectId, Name("not-mac")))["id"]!;
        string mac = (string)(await CreateKeyAsync(Admin, server.ProjectId, Name("mac-roles"), "generate-verify-mac", "HMAC_SHA_384"))["id"]!;
        object body = new { data = Convert.ToBase64String(Message), mac = Convert.ToBase64String(new byte[48]) };

        await ApiAssert.ErrorAsync(await Admin.PostAsJsonAsync($"/api/v1/kms/keys/{aes}/generate-mac", body), 400, "BadRequest",
            "Unsupported key type, expected generate-verify-mac but got encrypt-decrypt");
        await ApiAssert.ErrorAsync(await Admin.PostAsJsonAsync($"/api/v1/kms/keys/{aes}/verify-mac", body), 400, "BadRequest",
            "Unsupported key type, expected generate-verify-mac but got encrypt-decrypt");
        await ApiAssert.ErrorAsync(await Admin.PostAsJsonAsync($"/api/v1/kms/keys/{mac}/encrypt", new { plaintext = "AA==" }), 400, "BadRequest",
            "Unsupported key type, expected encrypt-decrypt but got generate-verify-mac");

        HttpClient operatorClient = await CallerAsync(server.Factory, server.ProjectId, "cryptographic-operator");
        HttpClient viewer = await CallerAsync(server.Factory, server.ProjectId, "viewer");
        await ApiAssert.OkAsync(await operatorClient.PostAsJsonAsync($"/api/v1/kms/keys/{mac}/generate-mac", body));
        await ApiAssert.OkAsync(await operatorClient.PostAsJsonAsync($"/api/v1/kms/keys/{mac}/verify-mac", body));
        await ApiAssert.ErrorAsync(await operatorClient.PostAsync($"/api/v1/kms/keys/{mac}/rotate", null), 403, "PermissionDenied", "You are not allowed to rotate on cmek");
        await ApiAssert.ErrorAsync(await viewer.PostAsJsonAsync($"/api/v1/kms/keys/{mac}/generate-mac", body), 403, "PermissionDenied", "You are not allowed to generate-mac on cmek");
        await ApiAssert.ErrorAsync(await viewer.PostAsJsonAsync($"/api/v1/kms/keys/{mac}/verify-mac", body), 403, "PermissionDenied", "You are not allowed to verify-mac on cmek");

        await ApiAssert.OkAsync(await DisableAsync(Admin, mac));
        await ApiAssert.ErrorAsync(await Admin.PostAsJsonAsync($"/api/v1/kms/keys/{mac}/generate-mac", body), 400, "BadRequest", "Key is disabled");
        await ApiAssert.ErrorAsync(await Admin.PostAsJsonAsync($"/api/v1/kms/keys/{mac}/verify-mac", body), 400, "BadRequest", "Key is disabled");
    }

    [Fact]
    public async Task Mac_InvalidBodies_Are422Async()
    {
        string keyId = (string)(await CreateKeyAsync(Admin, server.ProjectId, Name("mac-422"), "generate-verify-mac"))["id"]!;

        await ApiAssert.ErrorAsync(await PostJsonAsync(Admin, $"/api/v1/kms/keys/{keyId}/generate-mac", "{}"), 422, "ValidationFailure", "data: Required");
        await ApiAssert.ErrorAsync(await PostJsonAsync(Admin, $"/api/v1/kms/keys/{keyId}/generate-mac", """{"data":"a b="}"""), 422, "ValidationFailure",
            "data: data must be base64 encoded");
        await ApiAssert.ErrorAsync(await PostJsonAsync(Admin, $"/api/v1/kms/keys/{keyId}/verify-mac", """{"data":"AA=="}"""), 422, "ValidationFailure", "mac: Required");
        await ApiAssert.ErrorAsync(await Admin.PostAsJsonAsync($"/api/v1/kms/keys/{keyId}/verify-mac", new { data = "AA==", mac = Convert.ToBase64String(new byte[1025]) }),
            422, "ValidationFailure", "mac: mac cannot exceed 1024 bytes");
        await ApiAssert.ErrorAsync(await PostJsonAsync(Admin, "/api/v1/kms/keys/nope/verify-mac", """{"data":"AA=="}"""), 422, "ValidationFailure",
            "keyId: Invalid uuid; mac: Required");
    }

    [Theory]
    [InlineData("HMAC_SHA_256", 8, "Invalid key material length for HMAC_SHA_256. Expected between 16 and 64 bytes, got 8.")]
    [InlineData("HMAC_SHA_256", 15, "Invalid key material length for HMAC_SHA_256. Expected between 16 and 64 bytes, got 15.")]
    [InlineData("HMAC_SHA_256", 65, "Invalid key material length for HMAC_SHA_256. Expected between 16 and 64 bytes, got 65.")]
    [InlineData("HMAC_SHA_1", 65, "Invalid key material length for HMAC_SHA_1. Expected between 16 and 64 bytes, got 65.")]
    [InlineData("HMAC_SHA_224", 10, "Invalid key material length for HMAC_SHA_224. Expected between 16 and 64 bytes, got 10.")]
    [InlineData("HMAC_SHA_384", 129, "Invalid key material length for HMAC_SHA_384. Expected between 16 and 128 bytes, got 129.")]
    [InlineData("HMAC_SHA_512", 1, "Invalid key material length for HMAC_SHA_512. Expected between 16 and 128 bytes, got 1.")]
    [InlineData("HMAC_SHA_256", 16, null)]
    [InlineData("HMAC_SHA_256", 64, null)]
    [InlineData("HMAC_SHA_1", 16, null)]
    [InlineData("HMAC_SHA_224", 64, null)]
    [InlineData("HMAC_SHA_384", 128, null)]
    [InlineData("HMAC_SHA_512", 17, null)]
    public async Task Import_HmacMaterialLength_IsCheckedPerAlgorithmAsync(string algorithm, int length, string? message)
    {
        string name = Name("hmac-len");
        byte[] material = RandomNumberGenerator.GetBytes(length);
        var body = new JsonObject
        {
            ["projectId"] = server.ProjectId,
            ["keys"] = new JsonArray(new JsonObject
            {
                ["name"] = name, ["keyUsage"] = "generate-verify-mac", ["algorithm"] = algorithm, ["keyMaterial"] = Convert.ToBase64String(material),
            }),
        };

        JsonObject result = await ApiAssert.OkAsync(await Admin.PostAsJsonAsync("/api/v1/kms/keys/bulk-import", body));

        if (message is null)
        {
            Assert.Empty(result["errors"]!.AsArray());
            string keyId = (string)result["keys"]![0]!["id"]!;
            byte[] mac = Convert.FromBase64String((string)(await GenerateAsync(keyId, Message))["mac"]!);
            Assert.Equal(Hmac(algorithm, material, Message), mac);
        }
        else
        {
            Assert.Empty(result["keys"]!.AsArray());
            JsonObject error = result["errors"]![0]!.AsObject();
            Assert.Equal(name, (string?)error["name"]);
            Assert.Equal(message, (string?)error["message"]);
            JsonObject list = await ApiAssert.OkAsync(await Admin.GetAsync($"/api/v1/kms/keys?projectId={server.ProjectId}&search={name}"));
            Assert.Equal(0, (int)list["totalCount"]!);
        }
    }

    private async Task<JsonObject> GenerateAsync(string keyId, byte[] data) =>
        await ApiAssert.OkAsync(await Admin.PostAsJsonAsync($"/api/v1/kms/keys/{keyId}/generate-mac", new { data = Convert.ToBase64String(data) }));

    private async Task<bool> VerifyAsync(string keyId, byte[] data, byte[] mac) =>
        (bool)(await ApiAssert.OkAsync(await Admin.PostAsJsonAsync($"/api/v1/kms/keys/{keyId}/verify-mac",
            new { data = Convert.ToBase64String(data), mac = Convert.ToBase64String(mac) })))["macValid"]!;

    /// <summary>The reference HMAC; SHA-224 (absent from .NET) comes from Core's implementation, checked in Sha224Tests.</summary>
    private static byte[] Hmac(string algorithm, byte[] key, byte[] data) => algorithm switch
    {
        "HMAC_SHA_1" => HMACSHA1.HashData(key, data),
        "HMAC_SHA_224" => Sha224.Hmac(key, data),
        "HMAC_SHA_256" => HMACSHA256.HashData(key, data),
        "HMAC_SHA_384" => HMACSHA384.HashData(key, data),
        "HMAC_SHA_512" => HMACSHA512.HashData(key, data),
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm)),
    };
}
