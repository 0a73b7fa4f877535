using System.Net;
using System.Net.Http.Json;
using InfisicalKms.Tests.Web.Api.Lifecycle;

namespace InfisicalKms.Tests.Web.MultiInstance;

/// <summary>
/// Issue #14: the login limit (20 failures per address per 60 s, spec §1.10) counts failures on every instance.
/// A cluster of its own: the limit it reaches refuses every login from loopback for a minute.
/// </summary>
[Trait("Category", "MultiInstance")]
public sealed class SharedLoginLimitTests(KmsCluster cluster) : IClassFixture<KmsCluster>
{
    [Fact]
    public async Task LoginFailures_CountAcrossInstances()
    {
        // Arrange: a client id that exists, and a wrong secret
        string projectId = await LifecycleApi.CreateProjectAsync(cluster.Admin(cluster.Instances[0]), "Limiter");
        (_, string clientId) = await MultiInstanceTests.LoginAsync(cluster, projectId, "member", cluster.Instances[0]);

        // Act: 20 failures spread over A, B and C from this address, then one more try on each
        for (int i = 0; i < 20; i++)
        {
            using HttpResponseMessage failed = await cluster.Instances[i % 3].Anonymous.PostAsJsonAsync("/api/v1/auth/universal-auth/login",
                new { clientId, clientSecret = "wrong" });
            Assert.Equal(HttpStatusCode.Unauthorized, failed.StatusCode);
        }

        // Assert
        foreach (KmsCluster.Instance instance in cluster.Instances.Take(3))
        {
            using HttpResponseMessage limited = await instance.Anonymous.PostAsJsonAsync("/api/v1/auth/universal-auth/login",
                new { clientId, clientSecret = "wrong" });
            Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        }
    }
}
