using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using InfisicalKms.Core.Storage;
using InfisicalKms.Tests.TestSupport;
using InfisicalKms.Tests.Web.Api.Lifecycle;
using InfisicalKms.Tests.Web.Startup;

namespace InfisicalKms.Tests.Web.DbCopy;

/// <summary>
/// An installation to move: the real server on an SQLite file, bootstrapped, with a project holding an AES key
/// (rotated once), an RSA and an ECDSA signing key, ciphertexts and signatures made by them, then killed, as a
/// stopped installation is found. What it made is kept here, to be checked on every copy.
/// </summary>
public sealed class SqliteInstallation : IAsyncLifetime
{
    public const string Message = "moved, not re-encrypted";

    public static readonly byte[] Plaintext = System.Text.Encoding.UTF8.GetBytes(Message);

    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    public string Directory { get; } = Path.Combine(Path.GetTempPath(), "kms-dbcopy-" + Guid.NewGuid().ToString("N"));

    public string RootEncryptionKey { get; } = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    public TestDatabase Database { get; private set; } = default!;

    public string AdminToken { get; private set; } = "";

    public string ProjectId { get; private set; } = "";

    public string AesKeyId { get; private set; } = "";

    /// <summary>Ciphertexts of <see cref="Message"/> under the AES key, made where the test says (version 1, version 2, …).</summary>
    public List<string> Ciphertexts { get; } = [];

    /// <summary>Signatures of <see cref="Message"/>: (key ID, signing algorithm, signature).</summary>
    public List<(string KeyId, string Algorithm, string Signature)> Signatures { get; } = [];

    /// <summary>How many keys the project has, as the key list must report.</summary>
    public int KeyCount { get; set; }

    public async Task InitializeAsync()
    {
        Database = await TestDatabase.CreateAsync(DatabaseProvider.Sqlite, Path.Combine(Directory, "source"));
        await using ServerProcess server = Start(Database);
        Uri address = await server.WaitUntilListeningAsync(Timeout);
        using var anonymous = new HttpClient { BaseAddress = address, Timeout = Timeout };
        JsonObject boot = await ApiAssert.OkAsync(await anonymous.PostAsJsonAsync("/api/v1/admin/bootstrap",
            new { email = "admin@example.com", password = "correct horse battery", organization = "Example Corp" }));
        AdminToken = (string)boot["identity"]!["credentials"]!["token"]!;

        using HttpClient admin = Admin(address);
        ProjectId = await LifecycleApi.CreateProjectAsync(admin, "Moving house");
        AesKeyId = (string)(await LifecycleApi.CreateKeyAsync(admin, ProjectId, "aes"))["id"]!;
        string rsa = (string)(await LifecycleApi.CreateKeyAsync(admin, ProjectId, "rsa", "sign-verify", "RSA_4096"))["id"]!;
        string ecdsa = (string)(await LifecycleApi.CreateKeyAsync(admin, ProjectId, "ecdsa", "sign-verify", "ECC_NIST_P256"))["id"]!;
        KeyCount = 3;
        Ciphertexts.Add(await LifecycleApi.EncryptAsync(admin, AesKeyId, Plaintext));
        await LifecycleApi.RotateAsync(admin, AesKeyId);
        Ciphertexts.Add(await LifecycleApi.EncryptAsync(admin, AesKeyId, Plaintext));
        Signatures.Add((rsa, "RSASSA_PSS_SHA_256", await SignAsync(admin, rsa, "RSASSA_PSS_SHA_256")));
        Signatures.Add((ecdsa, "ECDSA_SHA_256", await SignAsync(admin, ecdsa, "ECDSA_SHA_256")));
        await server.StopAsync();
    }

    /// <summary>The server in Production over <paramref name="database"/>, with this installation's root key.</summary>
    public ServerProcess Start(TestDatabase database)
    {
        string workingDirectory = Path.Combine(Directory, "server-" + Guid.NewGuid().ToString("N")[..8]);
        System.IO.Directory.CreateDirectory(workingDirectory);
        return ServerProcess.Start("Production", workingDirectory, database, new Dictionary<string, string> { ["ROOT_ENCRYPTION_KEY"] = RootEncryptionKey });
    }

    public HttpClient Admin(Uri address)
    {
        var client = new HttpClient { BaseAddress = address, Timeout = Timeout };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminToken);
        return client;
    }

    public static async Task<string> SignAsync(HttpClient client, string keyId, string algorithm) =>
        (string)(await ApiAssert.OkAsync(await client.PostAsJsonAsync($"/api/v1/kms/keys/{keyId}/sign",
            new { signingAlgorithm = algorithm, data = LifecycleApi.Base64(Message) })))["signature"]!;

    public async Task DisposeAsync()
    {
        if (Database is not null)
        {
            await Database.DisposeAsync();
        }

        CoreProcess.DeleteDirectory(Directory);
    }
}
