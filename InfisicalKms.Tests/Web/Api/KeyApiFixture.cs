using System.Net.Http.Json;
using System.Text.Json.Nodes;
using InfisicalKms.Tests.TestSupport;

namespace InfisicalKms.Tests.Web.Api;

/// <summary>
/// The in-process server behind the key and crypto route tests (spec §7.1–§7.12), shared by the classes of
/// <see cref="KeyApiCollection"/> and bootstrapped once, with helpers for fresh projects and keys, callers
/// holding a project role (§9.3), and values created once: an RSA-4096 key (generating one costs seconds)
/// and keys for requests that change nothing. Tests create their own projects and keys for everything else.
/// </summary>
public sealed class KeyApiFixture : KmsWebApplicationFactory
{
    private readonly SemaphoreSlim _sharedGate = new(1, 1);
    private readonly Dictionary<string, object> _shared = [];

    public async Task<HttpClient> AdminClientAsync() => (await AdminAsync()).Client;

    public async Task<string> CreateProjectAsync()
    {
        HttpClient admin = await AdminClientAsync();
        HttpResponseMessage response = await admin.PostAsJsonAsync("/api/v1/projects", new { projectName = "Keys " + KeyApi.UniqueName() });
        return (string)(await ApiAssert.OkAsync(response))["project"]!["id"]!;
    }

    /// <summary>Creates a key as the organization admin; <c>null</c> arguments are sent as JSON null (= absent).</summary>
    public async Task<JsonObject> CreateKeyAsync(string projectId, string? keyUsage = null, string? algorithm = null, string? name = null)
    {
        HttpClient admin = await AdminClientAsync();
        HttpResponseMessage response = await admin.PostAsJsonAsync(KeyApi.Keys, new { projectId, name = name ?? KeyApi.UniqueName(), keyUsage, algorithm });
        return (await ApiAssert.OkAsync(response))["key"]!.AsObject();
    }

    public async Task<string> CreateKeyIdAsync(string projectId, string? keyUsage = null, string? algorithm = null) =>
        (string)(await CreateKeyAsync(projectId, keyUsage, algorithm))["id"]!;

    /// <summary>The class's RSA key: sign-verify created without an algorithm, so RSA_4096 by default (§5.3).</summary>
    public Task<JsonObject> RsaKeyAsync() =>
        SharedAsync("rsa-key", async () => await CreateKeyAsync(await CreateProjectAsync(), "sign-verify"));

    /// <summary>A shared aes-256-gcm key for requests that change nothing (validation failures); never disable or delete it.</summary>
    public Task<string> SharedAesKeyIdAsync() =>
        SharedAsync("aes-key", async () => await CreateKeyIdAsync(await CreateProjectAsync()));

    /// <summary>A shared ECC_NIST_P256 key for requests that change nothing; never disable or delete it.</summary>
    public Task<string> SharedEccKeyIdAsync() =>
        SharedAsync("ecc-key", async () => await CreateKeyIdAsync(await CreateProjectAsync(), "sign-verify", "ECC_NIST_P256"));

    /// <summary>Creates a value once per fixture (one at a time); <paramref name="create"/> must not call back into this method.</summary>
    public async Task<T> SharedAsync<T>(string name, Func<Task<T>> create)
        where T : notnull
    {
        await _sharedGate.WaitAsync();
        try
        {
            if (!_shared.TryGetValue(name, out object? value))
            {
                value = await create();
                _shared[name] = value;
            }

            return (T)value;
        }
        finally
        {
            _sharedGate.Release();
        }
    }

    /// <summary>
    /// A new identity (organization role <c>member</c>) logged in through Universal Auth, with
    /// <paramref name="role"/> in <paramref name="projectId"/>, or with no membership at all when either is null.
    /// </summary>
    public async Task<HttpClient> CallerAsync(string? projectId, string? role)
    {
        AdminContext admin = await AdminAsync();
        JsonObject identity = await ApiAssert.OkAsync(await admin.Client.PostAsJsonAsync("/api/v1/identities",
            new { name = "caller-" + (role ?? "outsider"), organizationId = admin.OrganizationId, role = "member" }));
        string identityId = (string)identity["identity"]!["id"]!;
        string ua = $"/api/v1/auth/universal-auth/identities/{identityId}";
        JsonObject config = await ApiAssert.OkAsync(await admin.Client.PostAsJsonAsync(ua, new { }));
        JsonObject secret = await ApiAssert.OkAsync(await admin.Client.PostAsJsonAsync(ua + "/client-secrets", new { }));
        if (projectId is not null && role is not null)
        {
            await ApiAssert.OkAsync(await admin.Client.PostAsJsonAsync($"/api/v1/projects/{projectId}/identity-memberships/{identityId}", new { role }));
        }

        JsonObject login = await ApiAssert.OkAsync(await CreateClient().PostAsJsonAsync("/api/v1/auth/universal-auth/login",
            new { clientId = (string)config["identityUniversalAuth"]!["clientId"]!, clientSecret = (string)secret["clientSecret"]! }));
        return Authorized((string)login["accessToken"]!);
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
        {
            _sharedGate.Dispose();
        }
    }
}

/// <summary>All key API test classes share one server: starting one costs seconds of CPU on a small machine.</summary>
[CollectionDefinition(Name)]
public sealed class KeyApiCollection : ICollectionFixture<KeyApiFixture>
{
    public const string Name = "Key API";
}
