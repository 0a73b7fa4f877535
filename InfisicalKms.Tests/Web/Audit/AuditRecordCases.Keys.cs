using System.Security.Cryptography;
using InfisicalKms.Tests.Web.Api;
using static InfisicalKms.Tests.Web.Audit.Expect;

namespace InfisicalKms.Tests.Web.Audit;

/// <summary>
/// Spec §10.7.4, one row per audited key route (§0.1 routes 1–26), each in a project of its own: the request and
/// every record it must leave. Every case's key was made by the bootstrap identity, which also sends the request.
/// </summary>
public static partial class AuditRecordCases
{
    private static readonly HttpMethod Get = HttpMethod.Get;
    private static readonly HttpMethod Post = HttpMethod.Post;
    private static readonly HttpMethod Put = HttpMethod.Put;
    private static readonly HttpMethod Patch = HttpMethod.Patch;
    private static readonly HttpMethod Delete = HttpMethod.Delete;

    private static readonly AuditCase[] KeyCases =
    [
        new("create-cmek", async f =>
        {
            Guid p = await f.NewProjectAsync();
            string name = KeyApi.UniqueName();
            return new(f.Admin.Client, Post, KeyApi.Keys, new { projectId = p, name, keyUsage = "encrypt-decrypt", algorithm = "aes-128-gcm" },
                body => One(InProject(p, "create-cmek", Id(body["key"]!["id"]), Meta(("keyName", name), ("algorithm", "aes-128-gcm")))));
        }),
        new("update-cmek", async f =>
        {
            Guid p = await f.NewProjectAsync();
            (Guid k, _) = await f.NewKeyAsync(p);
            string renamed = KeyApi.UniqueName("renamed");
            return new(f.Admin.Client, Patch, KeyApi.Key(k.ToString()), new { name = renamed, isDisabled = true },
                _ => One(InProject(p, "update-cmek", k, Meta(("keyName", renamed), ("changedFields", "isDisabled,name")))));
        }),
        new("update-cmek (nothing changed)", async f =>
        {
            Guid p = await f.NewProjectAsync();
            (Guid k, string name) = await f.NewKeyAsync(p);
            return new(f.Admin.Client, Patch, KeyApi.Key(k.ToString()), new { name },
                _ => One(InProject(p, "update-cmek", k, Meta(("keyName", name), ("changedFields", "")))));
        }),
        new("delete-cmek", async f =>
        {
            Guid p = await f.NewProjectAsync();
            (Guid k, string name) = await f.NewKeyAsync(p);
            return new(f.Admin.Client, Delete, KeyApi.Key(k.ToString()), null, _ => One(InProject(p, "delete-cmek", k, Meta(("keyName", name)))));
        }),
        new("get-cmeks", async f =>
        {
            Guid p = await f.NewProjectAsync();
            await f.NewKeyAsync(p);
            return new(f.Admin.Client, Get, $"{KeyApi.Keys}?projectId={p}", null, _ => One(InProject(p, "get-cmeks", null, Meta())));
        }),
        new("get-cmek (by id)", async f =>
        {
            Guid p = await f.NewProjectAsync();
            (Guid k, _) = await f.NewKeyAsync(p);
            return new(f.Admin.Client, Get, KeyApi.Key(k.ToString()), null, _ => One(InProject(p, "get-cmek", k, Meta())));
        }),
        new("get-cmek (by name)", async f =>
        {
            Guid p = await f.NewProjectAsync();
            (Guid k, string name) = await f.NewKeyAsync(p);
            return new(f.Admin.Client, Get, $"{KeyApi.Keys}/key-name/{name}?projectId={p}", null, _ => One(InProject(p, "get-cmek", k, Meta())));
        }),
        new("cmek-encrypt (after a rotation: version 2)", async f =>
        {
            Guid p = await f.NewProjectAsync();
            (Guid k, _) = await f.NewKeyAsync(p);
            await f.AdminSendAsync(Post, KeyApi.Key(k.ToString()) + "/rotate");
            return new(f.Admin.Client, Post, KeyApi.Key(k.ToString()) + "/encrypt", new { plaintext = "aGVsbG8=", associatedData = "YWFk" },
                _ => One(InProject(p, "cmek-encrypt", k, Meta(("keyVersion", "2")))));
        }),
        new("cmek-decrypt (a version-1 blob after a rotation)", async f =>
        {
            Guid p = await f.NewProjectAsync();
            (Guid k, _) = await f.NewKeyAsync(p);
            string blob = await EncryptAsync(f, k, "aGVsbG8=");
            await f.AdminSendAsync(Post, KeyApi.Key(k.ToString()) + "/rotate");
            return new(f.Admin.Client, Post, KeyApi.Key(k.ToString()) + "/decrypt", new { ciphertext = blob },
                _ => One(InProject(p, "cmek-decrypt", k, Meta(("keyVersion", "1")))));
        }),
        new("cmek-sign", async f =>
        {
            Guid p = await f.NewProjectAsync();
            (Guid k, _) = await f.NewKeyAsync(p, "sign-verify", "ECC_NIST_P256");
            return new(f.Admin.Client, Post, KeyApi.Key(k.ToString()) + "/sign", new { signingAlgorithm = "ECDSA_SHA_256", data = "ZGF0YQ==" },
                _ => One(InProject(p, "cmek-sign", k, Meta(("signingAlgorithm", "ECDSA_SHA_256")))));
        }),
        new("cmek-verify", async f =>
        {
            Guid p = await f.NewProjectAsync();
            (Guid k, _) = await f.NewKeyAsync(p, "sign-verify", "ECC_NIST_P384");
            string signature = await SignAsync(f, k, "ECDSA_SHA_384", "ZGF0YQ==");
            return new(f.Admin.Client, Post, KeyApi.Key(k.ToString()) + "/verify", new { signingAlgorithm = "ECDSA_SHA_384", data = "ZGF0YQ==", signature },
                _ => One(InProject(p, "cmek-verify", k, Meta(("signingAlgorithm", "ECDSA_SHA_384")))));
        }),
        new("cmek-get-public-key", async f =>
        {
            Guid p = await f.NewProjectAsync();
            (Guid k, _) = await f.NewKeyAsync(p, "sign-verify", "ECC_NIST_P256");
            return new(f.Admin.Client, Get, KeyApi.Key(k.ToString()) + "/public-key", null, _ => One(InProject(p, "cmek-get-public-key", k, Meta())));
        }),
        new("cmek-list-signing-algorithms", async f =>
        {
            Guid p = await f.NewProjectAsync();
            (Guid k, _) = await f.NewKeyAsync(p, "sign-verify", "ECC_NIST_P256");
            return new(f.Admin.Client, Get, KeyApi.Key(k.ToString()) + "/signing-algorithms", null,
                _ => One(InProject(p, "cmek-list-signing-algorithms", k, Meta())));
        }),
        new("cmek-rotate", async f =>
        {
            Guid p = await f.NewProjectAsync();
            (Guid k, _) = await f.NewKeyAsync(p, "generate-verify-mac", "HMAC_SHA_256");
            return new(f.Admin.Client, Post, KeyApi.Key(k.ToString()) + "/rotate", null,
                _ => One(InProject(p, "cmek-rotate", k, Meta(("keyVersion", "2"), ("scheduled", "false")))));
        }),
        new("cmek-get-private-key", async f =>
        {
            Guid p = await f.NewProjectAsync();
            (Guid k, _) = await f.NewKeyAsync(p, exportable: true);
            return new(f.Admin.Client, Get, KeyApi.Key(k.ToString()) + "/private-key", null,
                _ => One(InProject(p, "cmek-get-private-key", k, Meta(("bulk", "false")))));
        }),
        new("cmek-import (one per imported key; a failed entry records nothing)", async f =>
        {
            Guid p = await f.NewProjectAsync();
            string aes = KeyApi.UniqueName("aes");
            string mac = KeyApi.UniqueName("mac");
            var keys = new object[]
            {
                new { name = aes, algorithm = "aes-256-gcm", keyMaterial = Material(32) },
                new { name = KeyApi.UniqueName("short"), algorithm = "aes-256-gcm", keyMaterial = Material(16) },
                new { name = mac, keyUsage = "generate-verify-mac", algorithm = "HMAC_SHA_512", keyMaterial = Material(64) },
            };
            return new(f.Admin.Client, Post, KeyApi.Keys + "/bulk-import", new { projectId = p, keys }, body =>
            [
                InProject(p, "cmek-import", Id(body["keys"]![0]!["id"]), Meta(("keyName", aes), ("algorithm", "aes-256-gcm"))),
                InProject(p, "cmek-import", Id(body["keys"]![1]!["id"]), Meta(("keyName", mac), ("algorithm", "HMAC_SHA_512"))),
            ]);
        }),
        new("cmek-get-private-key (bulk: one per key, each in its project)", async f =>
        {
            Guid p1 = await f.NewProjectAsync();
            Guid p2 = await f.NewProjectAsync();
            (Guid k1, _) = await f.NewKeyAsync(p1, exportable: true);
            (Guid k2, _) = await f.NewKeyAsync(p2, "sign-verify", "ECC_NIST_P256", exportable: true);
            return new(f.Admin.Client, Post, KeyApi.Keys + "/bulk-export-private-keys", new { keyIds = new[] { k1, k2 } }, _ =>
            [
                InProject(p1, "cmek-get-private-key", k1, Meta(("bulk", "true"))),
                InProject(p2, "cmek-get-private-key", k2, Meta(("bulk", "true"))),
            ]);
        }),
        new("cmek-generate-mac", async f =>
        {
            Guid p = await f.NewProjectAsync();
            (Guid k, _) = await f.NewKeyAsync(p, "generate-verify-mac", "HMAC_SHA_256");
            return new(f.Admin.Client, Post, KeyApi.Key(k.ToString()) + "/generate-mac", new { data = "ZGF0YQ==" },
                _ => One(InProject(p, "cmek-generate-mac", k, Meta())));
        }),
        new("cmek-verify-mac", async f =>
        {
            Guid p = await f.NewProjectAsync();
            (Guid k, _) = await f.NewKeyAsync(p, "generate-verify-mac", "HMAC_SHA_256");
            return new(f.Admin.Client, Post, KeyApi.Key(k.ToString()) + "/verify-mac", new { data = "ZGF0YQ==", mac = Material(32) },
                _ => One(InProject(p, "cmek-verify-mac", k, Meta())));
        }),
        new("cmek-list-versions", async f =>
        {
            Guid p = await f.NewProjectAsync();
            (Guid k, _) = await f.NewKeyAsync(p);
            return new(f.Admin.Client, Get, KeyApi.Key(k.ToString()) + "/versions", null, _ => One(InProject(p, "cmek-list-versions", k, Meta())));
        }),
        new("cmek-update-rotation-schedule (enabled)", async f =>
        {
            Guid p = await f.NewProjectAsync();
            (Guid k, _) = await f.NewKeyAsync(p);
            return new(f.Admin.Client, Put, KeyApi.Key(k.ToString()) + "/rotation-schedule", new { enabled = true, intervalDays = 30 },
                _ => One(InProject(p, "cmek-update-rotation-schedule", k, Meta(("enabled", "true"), ("intervalDays", "30")))));
        }),
        new("cmek-update-rotation-schedule (disabled, never configured)", async f =>
        {
            Guid p = await f.NewProjectAsync();
            (Guid k, _) = await f.NewKeyAsync(p);
            return new(f.Admin.Client, Put, KeyApi.Key(k.ToString()) + "/rotation-schedule", new { enabled = false },
                _ => One(InProject(p, "cmek-update-rotation-schedule", k, Meta(("enabled", "false")))));
        }),
        new("cmek-generate-data-key", async f =>
        {
            Guid p = await f.NewProjectAsync();
            (Guid k, _) = await f.NewKeyAsync(p);
            return new(f.Admin.Client, Post, KeyApi.Key(k.ToString()) + "/data-key", new { keySize = 16 },
                _ => One(InProject(p, "cmek-generate-data-key", k, Meta(("keySize", "16"), ("keyVersion", "1")))));
        }),
        new("cmek-rewrap", async f =>
        {
            Guid p = await f.NewProjectAsync();
            (Guid k, _) = await f.NewKeyAsync(p);
            string blob = await EncryptAsync(f, k, "aGVsbG8=");
            await f.AdminSendAsync(Post, KeyApi.Key(k.ToString()) + "/rotate");
            return new(f.Admin.Client, Post, KeyApi.Key(k.ToString()) + "/rewrap", new { ciphertext = blob },
                _ => One(InProject(p, "cmek-rewrap", k, Meta(("fromVersion", "1"), ("toVersion", "2")))));
        }),
        new("cmek-encrypt (batch: an invalid item counts as failed)", async f =>
        {
            Guid p = await f.NewProjectAsync();
            (Guid k, _) = await f.NewKeyAsync(p);
            object[] items = [new { plaintext = "aGVsbG8=" }, new { plaintext = "not base64!" }, new { plaintext = "" }];
            return new(f.Admin.Client, Post, KeyApi.Key(k.ToString()) + "/encrypt/batch", new { items },
                _ => One(InProject(p, "cmek-encrypt", k, Meta(("itemCount", "3"), ("failedCount", "1")))));
        }),
        new("cmek-decrypt (batch: a tampered item fails)", async f =>
        {
            Guid p = await f.NewProjectAsync();
            (Guid k, _) = await f.NewKeyAsync(p);
            string blob = await EncryptAsync(f, k, "aGVsbG8=");
            object[] items = [new { ciphertext = blob }, new { ciphertext = Tampered(blob) }];
            return new(f.Admin.Client, Post, KeyApi.Key(k.ToString()) + "/decrypt/batch", new { items },
                _ => One(InProject(p, "cmek-decrypt", k, Meta(("itemCount", "2"), ("failedCount", "1")))));
        }),
        new("cmek-sign (batch: a mismatched algorithm fails its item)", async f =>
        {
            Guid p = await f.NewProjectAsync();
            (Guid k, _) = await f.NewKeyAsync(p, "sign-verify", "ECC_NIST_P256");
            object[] items =
            [
                new { signingAlgorithm = "ECDSA_SHA_256", data = "ZGF0YQ==" },
                new { signingAlgorithm = "RSASSA_PSS_SHA_256", data = "ZGF0YQ==" },
                new { signingAlgorithm = "ECDSA_SHA_512", data = "ZGF0YQ==" },
            ];
            return new(f.Admin.Client, Post, KeyApi.Key(k.ToString()) + "/sign/batch", new { items },
                _ => One(InProject(p, "cmek-sign", k, Meta(("itemCount", "3"), ("failedCount", "1")))));
        }),
        new("cmek-verify (batch: an invalid signature is a result, not a failure)", async f =>
        {
            Guid p = await f.NewProjectAsync();
            (Guid k, _) = await f.NewKeyAsync(p, "sign-verify", "ECC_NIST_P256");
            string signature = await SignAsync(f, k, "ECDSA_SHA_256", "ZGF0YQ==");
            object[] items =
            [
                new { signingAlgorithm = "ECDSA_SHA_256", data = "ZGF0YQ==", signature },
                new { signingAlgorithm = "ECDSA_SHA_256", data = "b3RoZXI=", signature },
            ];
            return new(f.Admin.Client, Post, KeyApi.Key(k.ToString()) + "/verify/batch", new { items },
                _ => One(InProject(p, "cmek-verify", k, Meta(("itemCount", "2"), ("failedCount", "0")))));
        }),
    ];

    private static async Task<string> EncryptAsync(AuditServerFixture f, Guid keyId, string plaintext) =>
        (string)(await f.AdminSendAsync(Post, KeyApi.Key(keyId.ToString()) + "/encrypt", new { plaintext }))["ciphertext"]!;

    private static async Task<string> SignAsync(AuditServerFixture f, Guid keyId, string algorithm, string data) =>
        (string)(await f.AdminSendAsync(Post, KeyApi.Key(keyId.ToString()) + "/sign", new { signingAlgorithm = algorithm, data }))["signature"]!;

    private static string Material(int bytes) => Convert.ToBase64String(RandomNumberGenerator.GetBytes(bytes));

    /// <summary>The blob with one bit of its GCM tag flipped.</summary>
    private static string Tampered(string blob)
    {
        byte[] bytes = Convert.FromBase64String(blob);
        bytes[^4] ^= 0x01;
        return Convert.ToBase64String(bytes);
    }
}
