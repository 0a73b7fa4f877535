using System.Net.Http.Json;
using System.Text.Json.Nodes;
using InfisicalKms.Tests.TestSupport;

namespace InfisicalKms.Tests.Web.Api.Kmip;

/// <summary>The server with KMIP enabled (<c>Kms:Kmip:Enabled=true</c>, a free loopback port), shared by the KMIP API tests.</summary>
public sealed class KmipApiFactory : PeerAddressKmsFactory
{
    public const string Clients = "/api/v1/kmip/clients";

    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Kms:Kmip:Enabled"] = "true",
        ["Kms:Kmip:Port"] = "0",
        ["Kms:Kmip:Host"] = "127.0.0.1",
    };

    /// <summary>A KMIP client made by the bootstrap (organization admin) identity; the client object.</summary>
    public async Task<JsonObject> CreateClientAsync(string projectId, string name, params string[] permissions)
    {
        HttpClient admin = (await AdminAsync()).Client;
        return await ApiAssert.OkAsync(await admin.PostAsJsonAsync(Clients, new { projectId, name, permissions }));
    }
}

[CollectionDefinition(Name)]
public sealed class KmipApiCollection : ICollectionFixture<KmipApiFactory>
{
    public const string Name = "KMIP API server";
}
