using System.Net.Http.Json;
using System.Text.Json.Nodes;
using InfisicalKms.Tests.TestSupport;

namespace InfisicalKms.Tests.Web.Hsm;

/// <summary>
/// A populated installation: keys created through the API, with a ciphertext and signatures made at the
/// time, to check after a restart or a root-key re-wrap that every key still decrypts and verifies.
/// </summary>
public sealed class StoredKeys
{
    private static readonly byte[] Message = "root keys move, key material stays"u8.ToArray();

    private readonly string _token;
    private readonly List<(string KeyId, string Ciphertext)> _ciphertexts = [];
    private readonly List<(string KeyId, string SigningAlgorithm, string Signature)> _signatures = [];

    private StoredKeys(string token) => _token = token;

    /// <summary>Bootstraps the instance and creates an AES-256-GCM key and ECC P-256 key (and RSA-4096 when asked).</summary>
    public static async Task<StoredKeys> CreateAsync(KmsServerProcess server, bool withRsa)
    {
        HttpResponseMessage bootstrap = await server.Client.PostAsJsonAsync("/api/v1/admin/bootstrap",
            new { email = "admin@example.com", password = "correct horse battery", organization = "HSM Corp" });
        JsonObject admin = await ApiAssert.OkAsync(bootstrap);
        var keys = new StoredKeys((string)admin["identity"]!["credentials"]!["token"]!);
        JsonObject project = await server.PostAsync(keys._token, "/api/v1/projects", new { projectName = "Vault" });
        string projectId = (string)project["project"]!["id"]!;

        string aes = await keys.CreateKeyAsync(server, projectId, "data", "encrypt-decrypt", "aes-256-gcm");
        JsonObject encrypted = await server.PostAsync(keys._token, $"/api/v1/kms/keys/{aes}/encrypt", new { plaintext = Convert.ToBase64String(Message) });
        keys._ciphertexts.Add((aes, (string)encrypted["ciphertext"]!));

        List<(string Algorithm, string SigningAlgorithm)> signers = [("ECC_NIST_P256", "ECDSA_SHA_256")];
        if (withRsa)
        {
            signers.Add(("RSA_4096", "RSASSA_PSS_SHA_256"));
        }

        foreach ((string algorithm, string signingAlgorithm) in signers)
        {
            string id = await keys.CreateKeyAsync(server, projectId, "sign-" + algorithm.ToLowerInvariant().Replace('_', '-'), "sign-verify", algorithm);
            JsonObject signed = await server.PostAsync(keys._token, $"/api/v1/kms/keys/{id}/sign",
                new { data = Convert.ToBase64String(Message), signingAlgorithm });
            keys._signatures.Add((id, signingAlgorithm, (string)signed["signature"]!));
        }

        return keys;
    }

    /// <summary>Every stored ciphertext decrypts and every signature verifies; new operations work too.</summary>
    public async Task AssertUsableAsync(KmsServerProcess server)
    {
        foreach ((string keyId, string ciphertext) in _ciphertexts)
        {
            JsonObject decrypted = await server.PostAsync(_token, $"/api/v1/kms/keys/{keyId}/decrypt", new { ciphertext });
            Assert.Equal(Message, Convert.FromBase64String((string)decrypted["plaintext"]!));
            JsonObject fresh = await server.PostAsync(_token, $"/api/v1/kms/keys/{keyId}/encrypt", new { plaintext = Convert.ToBase64String(Message) });
            JsonObject back = await server.PostAsync(_token, $"/api/v1/kms/keys/{keyId}/decrypt", new { ciphertext = (string)fresh["ciphertext"]! });
            Assert.Equal(Message, Convert.FromBase64String((string)back["plaintext"]!));
        }

        foreach ((string keyId, string signingAlgorithm, string signature) in _signatures)
        {
            JsonObject verified = await server.PostAsync(_token, $"/api/v1/kms/keys/{keyId}/verify",
                new { data = Convert.ToBase64String(Message), signature, signingAlgorithm });
            Assert.True((bool)verified["signatureValid"]!, $"{signingAlgorithm} signature of key {keyId} no longer verifies");
            JsonObject signed = await server.PostAsync(_token, $"/api/v1/kms/keys/{keyId}/sign",
                new { data = Convert.ToBase64String(Message), signingAlgorithm });
            Assert.False(string.IsNullOrEmpty((string?)signed["signature"]));
        }
    }

    private async Task<string> CreateKeyAsync(KmsServerProcess server, string projectId, string name, string keyUsage, string algorithm)
    {
        JsonObject created = await server.PostAsync(_token, "/api/v1/kms/keys", new { projectId, name, keyUsage, algorithm });
        return (string)created["key"]!["id"]!;
    }
}
