using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using InfisicalKms.Core.Organizations;
using InfisicalKms.Core.Storage;
using InfisicalKms.Tests.TestSupport;
using InfisicalKms.Tests.Web.Api;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace InfisicalKms.Tests.Web.Permissions;

/// <summary>A caller of one matrix role: a machine identity logged in through Universal Auth.</summary>
public sealed record MatrixCaller(MatrixRole Role, string IdentityId, string ClientId, string ClientSecret, string Token, HttpClient Client);

/// <summary>
/// What every case shares: the target project, keys of each usage that requests only read or use, values
/// made with them, an identity with Universal Auth for the identity routes, and one caller per role.
/// </summary>
public sealed record MatrixWorld(
    string OrganizationId, string ProjectId, string AesKeyId, string AesKeyName, string EccKeyId, string HmacKeyId, string ExportableKeyId,
    string Ciphertext, string Signature, string Mac, string UaIdentityId, IReadOnlyDictionary<MatrixRole, MatrixCaller> Callers);

/// <summary>
/// The real server on its own SQLite file, bootstrapped once, with the <see cref="MatrixWorld"/> made on first
/// use. The helpers make the fresh resources that cases which change state act on (keys to delete or rotate,
/// identities, users, projects), always as the bootstrap (organization-admin) identity.
/// </summary>
public sealed class PermissionMatrixFixture : KmsWebApplicationFactory
{
    private readonly Lazy<Task<MatrixWorld>> _world;
    private readonly SemaphoreSlim _kmipGate = new(1, 1);
    private string? _kmipClientId;

    public PermissionMatrixFixture()
    {
        _world = new(CreateWorldAsync, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    public Task<MatrixWorld> WorldAsync() => _world.Value;

    /// <summary>KMIP on (certificates are issued only then), its listener on a free loopback port.</summary>
    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Kms:Kmip:Enabled"] = "true",
        ["Kms:Kmip:Port"] = "0",
        ["Kms:Kmip:Host"] = "127.0.0.1",
    };

    /// <summary>A new KMIP client of <paramref name="projectId"/> (for cases that change or remove it).</summary>
    public async Task<string> CreateKmipClientAsync(string projectId) =>
        (string)(await AdminSendAsync(HttpMethod.Post, "/api/v1/kmip/clients",
            new { projectId, name = KeyApi.UniqueName("kmip"), permissions = new[] { "get" } }))["id"]!;

    /// <summary>One KMIP client of the target project for the cases that only read it or issue it certificates.</summary>
    public async Task<string> SharedKmipClientAsync(string projectId)
    {
        await _kmipGate.WaitAsync();
        try
        {
            return _kmipClientId ??= await CreateKmipClientAsync(projectId);
        }
        finally
        {
            _kmipGate.Release();
        }
    }

    public async Task<JsonObject> AdminSendAsync(HttpMethod method, string path, object? body = null)
    {
        HttpClient admin = (await AdminAsync()).Client;
        using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
        return await ApiAssert.OkAsync(await admin.SendAsync(request));
    }

    public async Task<string> CreateProjectAsync() =>
        (string)(await AdminSendAsync(HttpMethod.Post, "/api/v1/projects", new { projectName = "Matrix " + KeyApi.UniqueName() }))["project"]!["id"]!;

    public async Task<string> CreateKeyAsync(string projectId, string usage = "encrypt-decrypt", string? algorithm = null, bool exportable = false) =>
        (string)(await AdminSendAsync(HttpMethod.Post, KeyApi.Keys,
            new { projectId, name = KeyApi.UniqueName(), keyUsage = usage, algorithm, isExportable = exportable }))["key"]!["id"]!;

    /// <summary>A new identity of the bootstrap organization, without Universal Auth.</summary>
    public async Task<string> CreateIdentityAsync(string orgRole = "member", string name = "matrix-target")
    {
        AdminContext admin = await AdminAsync();
        return (string)(await AdminSendAsync(HttpMethod.Post, "/api/v1/identities",
            new { name, organizationId = admin.OrganizationId, role = orgRole }))["identity"]!["id"]!;
    }

    public async Task AddIdentityMembershipAsync(string projectId, string identityId, string role) =>
        await AdminSendAsync(HttpMethod.Post, $"/api/v1/projects/{projectId}/identity-memberships/{identityId}", new { role });

    public async Task<string> CreateClientSecretIdAsync(string identityId) =>
        (string)(await AdminSendAsync(HttpMethod.Post, $"/api/v1/auth/universal-auth/identities/{identityId}/client-secrets", new { }))
            ["clientSecretData"]!["id"]!;

    /// <summary>
    /// A new user of the organization (organization role member). Users are made through the web interface,
    /// which has no API route (spec §8.11), so the user is stored directly, as the UI's sign-up would.
    /// </summary>
    public async Task<(string Id, string Email)> CreateUserAsync()
    {
        AdminContext admin = await AdminAsync();
        KmsUser user = KmsUser.Create($"matrix-{Guid.NewGuid():N}@example.com", Guid.Parse(admin.OrganizationId), OrgRole.Member, DateTime.UtcNow);
        await using KmsDbContext db = await Services.GetRequiredService<IDbContextFactory<KmsDbContext>>().CreateDbContextAsync();
        db.Users.Add(user);
        await db.SaveChangesAsync();
        return (user.Id.ToString(), user.Email!);
    }

    /// <summary>A new project in which <paramref name="caller"/> has its role (no membership for the organization admin and the non-member).</summary>
    public async Task<string> ProjectWithCallerAsync(MatrixCaller caller)
    {
        string projectId = await CreateProjectAsync();
        if (caller.Role.MembershipRole() is { } role)
        {
            await AddIdentityMembershipAsync(projectId, caller.IdentityId, role);
        }

        return projectId;
    }

    /// <summary>A second access token of <paramref name="caller"/>'s identity (one that a case may revoke).</summary>
    public async Task<string> LoginAsync(MatrixCaller caller) =>
        (string)(await ApiAssert.OkAsync(await CreateClient().PostAsJsonAsync("/api/v1/auth/universal-auth/login",
            new { clientId = caller.ClientId, clientSecret = caller.ClientSecret })))["accessToken"]!;

    private async Task<MatrixCaller> CreateCallerAsync(MatrixRole role, string projectId)
    {
        string identityId = await CreateIdentityAsync(role == MatrixRole.OrgAdmin ? "admin" : "member", "matrix-" + role.Name());
        string ua = $"/api/v1/auth/universal-auth/identities/{identityId}";
        string clientId = (string)(await AdminSendAsync(HttpMethod.Post, ua, new { }))["identityUniversalAuth"]!["clientId"]!;
        string secret = (string)(await AdminSendAsync(HttpMethod.Post, ua + "/client-secrets", new { }))["clientSecret"]!;
        if (role.MembershipRole() is { } membership)
        {
            await AddIdentityMembershipAsync(projectId, identityId, membership);
        }

        var caller = new MatrixCaller(role, identityId, clientId, secret, "", CreateClient());
        string token = await LoginAsync(caller);
        return caller with { Token = token, Client = Authorized(token) };
    }

    private async Task<MatrixWorld> CreateWorldAsync()
    {
        AdminContext admin = await AdminAsync();
        string projectId = await CreateProjectAsync();
        string aes = await CreateKeyAsync(projectId);
        string ecc = await CreateKeyAsync(projectId, "sign-verify", "ECC_NIST_P256");
        string hmac = await CreateKeyAsync(projectId, "generate-verify-mac", "HMAC_SHA_256");
        string exportable = await CreateKeyAsync(projectId, exportable: true);
        string aesName = (string)(await AdminSendAsync(HttpMethod.Get, KeyApi.Key(aes)))["key"]!["name"]!;
        string ciphertext = (string)(await AdminSendAsync(HttpMethod.Post, KeyApi.Key(aes) + "/encrypt", new { plaintext = "aGk=" }))["ciphertext"]!;
        string signature = (string)(await AdminSendAsync(HttpMethod.Post, KeyApi.Key(ecc) + "/sign",
            new { signingAlgorithm = "ECDSA_SHA_256", data = "aGk=" }))["signature"]!;
        string mac = (string)(await AdminSendAsync(HttpMethod.Post, KeyApi.Key(hmac) + "/generate-mac", new { data = "aGk=" }))["mac"]!;
        string uaIdentity = await CreateIdentityAsync();
        await AdminSendAsync(HttpMethod.Post, $"/api/v1/auth/universal-auth/identities/{uaIdentity}", new { });

        var callers = new Dictionary<MatrixRole, MatrixCaller>();
        foreach (MatrixRole role in SpecPermissions.Roles)
        {
            callers[role] = await CreateCallerAsync(role, projectId);
        }

        return new MatrixWorld(admin.OrganizationId, projectId, aes, aesName, ecc, hmac, exportable, ciphertext, signature, mac, uaIdentity, callers);
    }

    /// <summary>32 random bytes as base64: aes-256-gcm material for bulk import.</summary>
    public static string AesMaterial() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
}
