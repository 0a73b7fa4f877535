using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using InfisicalKms.Tests.TestSupport;
using InfisicalKms.Tests.Web.Api.Lifecycle;
using Xunit.Abstractions;

namespace InfisicalKms.Tests.Web.MultiInstance;

/// <summary>
/// Issue #14: three instances of the real server on one PostgreSQL, driven in turn. A change made through one
/// instance holds on the others: keys, revoked tokens, rotations, the audit chain, and one instance's death.
/// </summary>
[Trait("Category", "MultiInstance")]
public sealed class MultiInstanceTests(KmsCluster cluster, ITestOutputHelper output) : IClassFixture<KmsCluster>
{
    private KmsCluster.Instance A => cluster.Instances[0];

    private KmsCluster.Instance B => cluster.Instances[1];

    private KmsCluster.Instance C => cluster.Instances[2];

    [Fact]
    public async Task InstancesStartedTogetherOnAnEmptyDatabase_MigrateOnce_AndCreateOneRootKey()
    {
        // Arrange: the fixture started A, B and C at the same moment on an empty database

        // Act
        string[] logs = [.. cluster.Instances.Take(3).Select(i => i.Process.StandardOutput)];

        // Assert: one created the root key, the others unwrapped it; every migration applied once
        Assert.Single(logs, l => l.Contains("Created the instance root key", StringComparison.Ordinal));
        Assert.Equal(2, logs.Count(l => l.Contains("Unwrapped the instance root key", StringComparison.Ordinal)));
        await using System.Data.Common.DbConnection connection = await cluster.Database.OpenConnectionAsync();
        await using System.Data.Common.DbCommand command = connection.CreateCommand();
        command.CommandText = """SELECT (SELECT COUNT(*) FROM "RootKey"), (SELECT COUNT(*) FROM "__EFMigrationsHistory"), (SELECT COUNT(DISTINCT "MigrationId") FROM "__EFMigrationsHistory")""";
        await using System.Data.Common.DbDataReader reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal(1, reader.GetInt64(0));
        Assert.True(reader.GetInt64(1) >= 2);
        Assert.Equal(reader.GetInt64(1), reader.GetInt64(2));
    }

    [Fact]
    public async Task KeyCreatedOnA_EncryptsOnB_AndBsCiphertextDecryptsOnC()
    {
        // Arrange
        string projectId = await LifecycleApi.CreateProjectAsync(cluster.Admin(A), "Across instances");
        string keyId = (string)(await LifecycleApi.CreateKeyAsync(cluster.Admin(A), projectId, "across"))["id"]!;
        byte[] plaintext = LifecycleApi.Bytes(7, 100);

        // Act
        string ciphertext = await LifecycleApi.EncryptAsync(cluster.Admin(B), keyId, plaintext);
        byte[] decrypted = await LifecycleApi.DecryptOkAsync(cluster.Admin(C), keyId, ciphertext);

        // Assert
        Assert.Equal(plaintext, decrypted);
    }

    [Fact]
    public async Task TokenRevokedOnA_IsRefusedOnB_WithinOneSecond()
    {
        // Arrange
        string projectId = await LifecycleApi.CreateProjectAsync(cluster.Admin(A), "Revocation");
        string keyId = (string)(await LifecycleApi.CreateKeyAsync(cluster.Admin(A), projectId, "revocation"))["id"]!;
        var delays = new List<double>();

        for (int round = 0; round < 10; round++)
        {
            (string token, _) = await LoginAsync(projectId, "member", loginOn: B);
            HttpClient onB = B.Authorized(token);
            await LifecycleApi.EncryptAsync(onB, keyId, [1, 2, 3]);   // B has the token in its cache now

            // Act: revoke on A, then call B until it refuses
            await ApiAssert.OkAsync(await A.Anonymous.PostAsJsonAsync("/api/v1/auth/token/revoke", new { accessToken = token }));
            var revoked = Stopwatch.StartNew();
            HttpStatusCode status = HttpStatusCode.OK;
            while (status != HttpStatusCode.Unauthorized && revoked.Elapsed < TimeSpan.FromSeconds(5))
            {
                using HttpResponseMessage response = await onB.PostAsJsonAsync($"/api/v1/kms/keys/{keyId}/encrypt", new { plaintext = "AQID" });
                status = response.StatusCode;
            }

            // Assert
            Assert.Equal(HttpStatusCode.Unauthorized, status);
            delays.Add(revoked.Elapsed.TotalMilliseconds);
        }

        delays.Sort();
        output.WriteLine($"revoked on A, refused on B after: median {delays[delays.Count / 2]:F1} ms, max {delays[^1]:F1} ms ({delays.Count} rounds)");
        Assert.True(delays[^1] < 1000, $"B served a token revoked on A for {delays[^1]:F0} ms");
    }

    [Fact]
    public async Task AfterRotationOnA_BEncryptsWithTheNewVersion()
    {
        // Arrange: B has used version 1
        string projectId = await LifecycleApi.CreateProjectAsync(cluster.Admin(A), "Rotation across");
        string keyId = (string)(await LifecycleApi.CreateKeyAsync(cluster.Admin(A), projectId, "rotated"))["id"]!;
        Assert.Equal(1, LifecycleApi.BlobVersion(await LifecycleApi.EncryptAsync(cluster.Admin(B), keyId, [1])));

        // Act
        await LifecycleApi.RotateAsync(cluster.Admin(A), keyId);
        string after = await LifecycleApi.EncryptAsync(cluster.Admin(B), keyId, [2]);

        // Assert: on B's very next request, since A's commit notified it before A answered
        Assert.Equal(2, LifecycleApi.BlobVersion(after));
        Assert.Equal(new byte[] { 2 }, await LifecycleApi.DecryptOkAsync(cluster.Admin(C), keyId, after));
    }

    [Fact]
    public async Task KeyDisabledOnA_IsRefusedOnB()
    {
        // Arrange
        string projectId = await LifecycleApi.CreateProjectAsync(cluster.Admin(A), "Disable across");
        string keyId = (string)(await LifecycleApi.CreateKeyAsync(cluster.Admin(A), projectId, "disabled"))["id"]!;
        await LifecycleApi.EncryptAsync(cluster.Admin(B), keyId, [1]);

        // Act
        await ApiAssert.OkAsync(await LifecycleApi.DisableAsync(cluster.Admin(A), keyId));
        await Task.Delay(200);
        using HttpResponseMessage onB = await cluster.Admin(B).PostAsJsonAsync($"/api/v1/kms/keys/{keyId}/encrypt", new { plaintext = "AQ==" });

        // Assert
        Assert.Equal(HttpStatusCode.BadRequest, onB.StatusCode);
    }

    [Fact]
    public async Task ConcurrentLoadOnTwoInstances_LeavesExactAuditRecords_AndAChainThatVerifies()
    {
        // Arrange
        string projectId = await LifecycleApi.CreateProjectAsync(cluster.Admin(A), "Audit across");
        string keyId = (string)(await LifecycleApi.CreateKeyAsync(cluster.Admin(A), projectId, "audited"))["id"]!;
        const int Clients = 16, PerClient = 40;

        // Act: 16 clients at once, half on A and half on B
        var refusals = new System.Collections.Concurrent.ConcurrentBag<string>();
        int[] answered = await Task.WhenAll(Enumerable.Range(0, Clients).Select(async client =>
        {
            HttpClient http = cluster.Admin(client % 2 == 0 ? A : B);
            int ok = 0;
            for (int i = 0; i < PerClient; i++)
            {
                using HttpResponseMessage response = await http.PostAsJsonAsync($"/api/v1/kms/keys/{keyId}/encrypt", new { plaintext = "AQID" });
                if (response.IsSuccessStatusCode)
                {
                    ok++;
                }
                else
                {
                    refusals.Add($"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                }
            }

            return ok;
        }));

        // Assert: every request answered, one record each, one intact chain
        Assert.True(refusals.IsEmpty, string.Join("\n", refusals.Distinct()));
        Assert.Equal(Clients * PerClient, answered.Sum());
        Assert.Equal(Clients * PerClient, await CountAuditAsync(cluster.Admin(C), projectId, "cmek-encrypt", keyId));
        JsonObject verify = await ApiAssert.OkAsync(await cluster.Admin(C).GetAsync($"/api/v1/projects/{projectId}/audit-logs/verify"));
        output.WriteLine(verify.ToJsonString());
        Assert.True((bool)verify["valid"]!, verify.ToJsonString());
    }

    [Fact]
    public async Task KillNineOfOneInstanceUnderLoad_TheOtherKeepsServing_AndNothingAcknowledgedIsLost()
    {
        // Arrange: a fourth instance to kill, and a key for each
        KmsCluster.Instance victim = (await cluster.StartInstancesAsync(1))[0];
        string projectId = await LifecycleApi.CreateProjectAsync(cluster.Admin(A), "Kill -9");
        string victimKey = (string)(await LifecycleApi.CreateKeyAsync(cluster.Admin(A), projectId, "victim"))["id"]!;
        string survivorKey = (string)(await LifecycleApi.CreateKeyAsync(cluster.Admin(A), projectId, "survivor"))["id"]!;
        using var stop = new CancellationTokenSource();
        int victimAcknowledged = 0;
        int survivorAnswered = 0;
        int survivorFailed = 0;

        async Task LoadAsync(KmsCluster.Instance instance, string keyId, Action<bool> count)
        {
            HttpClient http = cluster.Admin(instance);
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    using HttpResponseMessage response = await http.PostAsJsonAsync($"/api/v1/kms/keys/{keyId}/encrypt", new { plaintext = "AQID" });
                    count(response.StatusCode == HttpStatusCode.OK);
                }
                catch (HttpRequestException)
                {
                    count(false);   // the victim's connections die with it
                    if (instance == victim)
                    {
                        return;
                    }
                }
            }
        }

        Task[] load =
        [
            .. Enumerable.Range(0, 4).Select(_ => LoadAsync(victim, victimKey, ok => { if (ok) { Interlocked.Increment(ref victimAcknowledged); } })),
            .. Enumerable.Range(0, 4).Select(_ => LoadAsync(B, survivorKey, ok => Interlocked.Increment(ref ok ? ref survivorAnswered : ref survivorFailed))),
        ];

        // Act: once both are answering (a new instance is cold, and the machine may be busy), kill the victim
        var warming = Stopwatch.StartNew();
        while ((Volatile.Read(ref victimAcknowledged) < 20 || Volatile.Read(ref survivorAnswered) < 20) && warming.Elapsed < TimeSpan.FromSeconds(60))
        {
            await Task.Delay(100);
        }

        await victim.Process.StopAsync();   // SIGKILL
        int answeredAtKill = Volatile.Read(ref survivorAnswered);
        await Task.Delay(1500);
        stop.Cancel();
        await Task.WhenAll(load);

        // Assert: B kept answering, and every encrypt the victim acknowledged has its record
        Assert.Equal(0, survivorFailed);
        Assert.True(survivorAnswered > answeredAtKill, "B stopped answering when the other instance died");
        Assert.True(victimAcknowledged > 0, "the victim answered nothing before it was killed");
        int victimRecords = await CountAuditAsync(cluster.Admin(B), projectId, "cmek-encrypt", victimKey);
        output.WriteLine($"victim acknowledged {victimAcknowledged}, audited {victimRecords}; B answered {survivorAnswered}");
        Assert.True(victimRecords >= victimAcknowledged, $"{victimAcknowledged} acknowledged, {victimRecords} audited");
        Assert.True(victimRecords <= victimAcknowledged + 4, "more records than requests sent");
        JsonObject verify = await ApiAssert.OkAsync(await cluster.Admin(B).GetAsync($"/api/v1/projects/{projectId}/audit-logs/verify"));
        Assert.True((bool)verify["valid"]!, verify.ToJsonString());
    }

    [Fact]
    public async Task ADueKey_IsRotatedOnce_ByInstancesStartingTogether()
    {
        // Arrange: a key whose rotation fell due while no instance ran its scheduler
        string projectId = await LifecycleApi.CreateProjectAsync(cluster.Admin(A), "Due rotation");
        string keyId = (string)(await LifecycleApi.CreateKeyAsync(cluster.Admin(A), projectId, "due"))["id"]!;
        Assert.Equal(1, await cluster.Database.ExecuteAsync(
            """UPDATE "Keys" SET "RotationEnabled" = true, "RotationIntervalDays" = 30, "NextRotationAt" = now() - interval '1 hour' WHERE "Id" = @p0""",
            Guid.Parse(keyId)));

        // Act: two new instances run their schedulers at start-up, at the same moment
        await cluster.StartInstancesAsync(2);
        JsonObject key = await WaitForVersionAsync(keyId, 2);
        await Task.Delay(2000);   // time for a second rotation, if there were going to be one

        // Assert
        Assert.Equal(2, (int)(await LifecycleApi.GetKeyAsync(cluster.Admin(C), keyId))["version"]!);
        Assert.Equal(1, await CountAuditAsync(cluster.Admin(C), projectId, "cmek-rotate", keyId));
        Assert.NotNull(key);
    }

    private async Task<JsonObject> WaitForVersionAsync(string keyId, int version)
    {
        for (int i = 0; i < 300; i++)
        {
            JsonObject key = await LifecycleApi.GetKeyAsync(cluster.Admin(A), keyId);
            if ((int)key["version"]! >= version)
            {
                return key;
            }

            await Task.Delay(100);
        }

        throw new Xunit.Sdk.XunitException($"key {keyId} never reached version {version}");
    }

    private Task<(string Token, string ClientId)> LoginAsync(string projectId, string role, KmsCluster.Instance loginOn) =>
        LoginAsync(cluster, projectId, role, loginOn);

    /// <summary>A new identity with <paramref name="role"/> in the project, logged in on <paramref name="loginOn"/>.</summary>
    internal static async Task<(string Token, string ClientId)> LoginAsync(KmsCluster cluster, string projectId, string role, KmsCluster.Instance loginOn)
    {
        HttpClient admin = cluster.Admin(cluster.Instances[0]);
        JsonObject identity = await ApiAssert.OkAsync(await admin.PostAsJsonAsync("/api/v1/identities",
            new { name = LifecycleApi.Name(role), organizationId = cluster.OrganizationId }));
        string identityId = (string)identity["identity"]!["id"]!;
        JsonObject ua = await ApiAssert.OkAsync(await admin.PostAsJsonAsync($"/api/v1/auth/universal-auth/identities/{identityId}", new { }));
        string clientId = (string)ua["identityUniversalAuth"]!["clientId"]!;
        JsonObject secret = await ApiAssert.OkAsync(await admin.PostAsJsonAsync($"/api/v1/auth/universal-auth/identities/{identityId}/client-secrets", new { }));
        await LifecycleApi.AddMembershipAsync(admin, projectId, identityId, role);
        JsonObject login = await ApiAssert.OkAsync(await loginOn.Anonymous.PostAsJsonAsync("/api/v1/auth/universal-auth/login",
            new { clientId, clientSecret = (string)secret["clientSecret"]! }));
        return ((string)login["accessToken"]!, clientId);
    }

    /// <summary>How many records of <paramref name="eventType"/> on <paramref name="keyId"/> the project's audit log lists.</summary>
    private static async Task<int> CountAuditAsync(HttpClient client, string projectId, string eventType, string keyId)
    {
        JsonObject page = await ApiAssert.OkAsync(await client.GetAsync(
            $"/api/v1/projects/{projectId}/audit-logs?eventType={eventType}&keyId={keyId}&limit=1"));
        return (int)page["totalCount"]!;
    }
}
