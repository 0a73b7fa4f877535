using System.Net.Http.Json;
using System.Text.Json.Nodes;
using InfisicalKms.Tests.TestSupport;
using static InfisicalKms.Tests.Web.Api.AuthTestHelpers;

namespace InfisicalKms.Tests.Web.Api.Kmip;

/// <summary>The API of a server without <c>Kms:Kmip:Enabled</c>: KMIP says it is off, and no certificate is issued.</summary>
[Collection(SharedServerCollection.Name)]
public sealed class KmipDisabledEndpointsTests(PeerAddressKmsFactory factory)
{
    [Fact]
    public async Task Status_KmipDisabled_IsOffWithTheDefaultPortAndNoCa()
    {
        AdminContext admin = await factory.AdminAsync();

        JsonObject status = await ApiAssert.OkAsync(await admin.Client.GetAsync("/api/v1/kmip"));

        AssertMembers(status, "enabled", "port", "caCertificate");
        Assert.False((bool)status["enabled"]!);
        Assert.Equal(5696, (int)status["port"]!);
        Assert.Null(status["caCertificate"]);
    }

    [Fact]
    public async Task Issue_KmipDisabled_Returns400()
    {
        AdminContext admin = await factory.AdminAsync();
        string projectId = await CreateProjectIdAsync(admin.Client, "KMIP Off");
        string id = (string)(await ApiAssert.OkAsync(await admin.Client.PostAsJsonAsync(KmipApiFactory.Clients,
            new { projectId, name = "too-early", permissions = new[] { "get" } })))["id"]!;

        HttpResponseMessage response = await admin.Client.PostAsJsonAsync($"{KmipApiFactory.Clients}/{id}/certificates", new { });

        await ApiAssert.ErrorAsync(response, 400, "BadRequest", "KMIP is not enabled on this server: set Kms:Kmip:Enabled to true");
    }
}
