using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using InfisicalKms.Core.Keys;
using InfisicalKms.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;
using static InfisicalKms.Tests.Web.Api.Lifecycle.LifecycleApi;

namespace InfisicalKms.Tests.Web.Api.Lifecycle;

/// <summary>
/// Rotation schedules (spec §10.2) on a controlled clock: a due key rotates exactly once, also after a restart
/// with downtime, disabled keys wait, and the next rotation counts from the rotation time.
/// </summary>
public sealed class RotationScheduleTests : IDisposable
{
    private static readonly DateTimeOffset Start = new(2030, 1, 1, 8, 0, 0, TimeSpan.Zero);
    private static readonly byte[] Plaintext = Encoding.UTF8.GetBytes("scheduled");

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "kms-schedule-" + Guid.NewGuid().ToString("N"));
    private readonly string _rootKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
    private readonly FakeTimeProvider _clock = new(Start);

    private readonly TestDatabase _database;

    public RotationScheduleTests() => _database = TestDatabase.Create(_directory);

    [Fact]
    public async Task Schedule_DueRotation_FiresOnceAndOnceMoreAfterRestartWithDowntimeAsync()
    {
        string token;
        string keyId;
        string v1;
        string v2;
        await using (var first = new ScheduledRotationFactory(_database, _rootKey) { Clock = _clock })
        {
            AdminContext admin = await first.AdminAsync();
            token = admin.Client.DefaultRequestHeaders.Authorization!.Parameter!;
            string projectId = await CreateProjectAsync(admin.Client);
            keyId = (string)(await CreateKeyAsync(admin.Client, projectId, "scheduled"))["id"]!;
            v1 = await EncryptAsync(admin.Client, keyId, Plaintext);

            JsonObject scheduled = await PutScheduleOkAsync(admin.Client, keyId, new { enabled = true, intervalDays = 1 });
            AssertRotation(scheduled, true, 1, null, "2030-01-02T08:00:00.000Z");

            KeyRotationScheduler scheduler = first.Scheduler;
            Assert.DoesNotContain(first.Services.GetServices<IHostedService>(), hosted => hosted is KeyRotationScheduler);   // only the test rotates
            _clock.Advance(TimeSpan.FromHours(23));
            Assert.Equal(0, await scheduler.RunDueRotationsAsync(CancellationToken.None));
            Assert.Equal(1, (int)(await GetKeyAsync(admin.Client, keyId))["version"]!);

            _clock.Advance(TimeSpan.FromHours(1) + TimeSpan.FromMinutes(5));   // 2030-01-02T08:05Z, just past due
            Assert.Equal(1, await scheduler.RunDueRotationsAsync(CancellationToken.None));
            JsonObject rotated = await GetKeyAsync(admin.Client, keyId);
            Assert.Equal(2, (int)rotated["version"]!);
            AssertRotation(rotated, true, 1, "2030-01-02T08:05:00.000Z", "2030-01-03T08:05:00.000Z");
            Assert.Equal("2030-01-02T08:05:00.000Z", (string?)rotated["updatedAt"]);

            Assert.Equal(0, await scheduler.RunDueRotationsAsync(CancellationToken.None));
            Assert.Equal(2, (int)(await GetKeyAsync(admin.Client, keyId))["version"]!);
            v2 = await EncryptAsync(admin.Client, keyId, Plaintext);
            Assert.Equal(2, BlobVersion(v2));
        }

        // Downtime: five days pass with the server stopped; the same database file and root key come back.
        _clock.Advance(TimeSpan.FromDays(5));
        await using (var second = new ScheduledRotationFactory(_database, _rootKey) { Clock = _clock })
        {
            HttpClient admin = second.Authorized(token);
            Assert.Equal(2, (int)(await GetKeyAsync(admin, keyId))["version"]!);

            Assert.Equal(1, await second.Scheduler.RunDueRotationsAsync(CancellationToken.None));
            JsonObject rotated = await GetKeyAsync(admin, keyId);
            Assert.Equal(3, (int)rotated["version"]!);
            AssertRotation(rotated, true, 1, "2030-01-07T08:05:00.000Z", "2030-01-08T08:05:00.000Z");
            Assert.Equal(0, await second.Scheduler.RunDueRotationsAsync(CancellationToken.None));

            JsonArray versions = (await ApiAssert.OkAsync(await admin.GetAsync($"/api/v1/kms/keys/{keyId}/versions")))["versions"]!.AsArray();
            Assert.Equal([3, 2, 1], versions.Select(v => (int)v!["version"]!));
            Assert.Equal("2030-01-07T08:05:00.000Z", (string?)versions[0]!["createdAt"]);
            Assert.Equal(Plaintext, await DecryptOkAsync(admin, keyId, v1));
            Assert.Equal(Plaintext, await DecryptOkAsync(admin, keyId, v2));
            Assert.Equal(3, BlobVersion(await EncryptAsync(admin, keyId, Plaintext)));
        }
    }

    [Fact]
    public async Task Schedule_DisabledKeyWaitsUntilReEnabledAndEveryRotatableUsageRotatesAsync()
    {
        await using var factory = new ScheduledRotationFactory(_database, _rootKey) { Clock = _clock };
        HttpClient admin = (await factory.AdminAsync()).Client;
        string projectId = await CreateProjectAsync(admin);

        // A disabled key is skipped while disabled (spec §10.2).
        string keyId = (string)(await CreateKeyAsync(admin, projectId, "sleeper"))["id"]!;
        await PutScheduleOkAsync(admin, keyId, new { enabled = true, intervalDays = 1 });
        await ApiAssert.OkAsync(await DisableAsync(admin, keyId));

        _clock.Advance(TimeSpan.FromDays(3));
        Assert.Equal(0, await factory.Scheduler.RunDueRotationsAsync(CancellationToken.None));
        JsonObject skipped = await GetKeyAsync(admin, keyId);
        Assert.Equal(1, (int)skipped["version"]!);
        AssertRotation(skipped, true, 1, null, "2030-01-02T08:00:00.000Z");

        await ApiAssert.OkAsync(await DisableAsync(admin, keyId, disabled: false));
        _clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(1, await factory.Scheduler.RunDueRotationsAsync(CancellationToken.None));
        JsonObject rotated = await GetKeyAsync(admin, keyId);
        Assert.Equal(2, (int)rotated["version"]!);
        AssertRotation(rotated, true, 1, "2030-01-04T08:01:00.000Z", "2030-01-05T08:01:00.000Z");
        Assert.Equal(0, await factory.Scheduler.RunDueRotationsAsync(CancellationToken.None));
        await PutScheduleOkAsync(admin, keyId, new { enabled = false });

        // Due keys of both rotatable usages rotate; keys not yet due, unscheduled or switched off do not.
        string aes = (string)(await CreateKeyAsync(admin, projectId, "aes", "encrypt-decrypt", "aes-128-gcm"))["id"]!;
        string mac = (string)(await CreateKeyAsync(admin, projectId, "mac", "generate-verify-mac", "HMAC_SHA_512"))["id"]!;
        string weekly = (string)(await CreateKeyAsync(admin, projectId, "weekly"))["id"]!;
        string never = (string)(await CreateKeyAsync(admin, projectId, "never"))["id"]!;
        string off = (string)(await CreateKeyAsync(admin, projectId, "off"))["id"]!;
        await PutScheduleOkAsync(admin, aes, new { enabled = true, intervalDays = 2 });
        await PutScheduleOkAsync(admin, mac, new { enabled = true, intervalDays = 2 });
        await PutScheduleOkAsync(admin, weekly, new { enabled = true, intervalDays = 7 });
        await PutScheduleOkAsync(admin, off, new { enabled = true, intervalDays = 1 });
        await PutScheduleOkAsync(admin, off, new { enabled = false });

        _clock.Advance(TimeSpan.FromDays(2));
        Assert.Equal(2, await factory.Scheduler.RunDueRotationsAsync(CancellationToken.None));

        Assert.Equal(2, (int)(await GetKeyAsync(admin, aes))["version"]!);
        Assert.Equal(2, (int)(await GetKeyAsync(admin, mac))["version"]!);
        Assert.Equal(1, (int)(await GetKeyAsync(admin, weekly))["version"]!);
        Assert.Equal(1, (int)(await GetKeyAsync(admin, never))["version"]!);
        Assert.Equal(1, (int)(await GetKeyAsync(admin, off))["version"]!);
    }

    [Fact]
    public async Task Schedule_Put_SetsAndClearsNextRotationKeepsTheIntervalAndValidatesAsync()
    {
        await using var factory = new ScheduledRotationFactory(_database, _rootKey) { Clock = _clock };
        HttpClient admin = (await factory.AdminAsync()).Client;
        string projectId = await CreateProjectAsync(admin);
        string keyId = (string)(await CreateKeyAsync(admin, projectId, "plan"))["id"]!;

        JsonObject on = await PutScheduleOkAsync(admin, keyId, new { enabled = true, intervalDays = 30 });
        AssertRotation(on, true, 30, null, "2030-01-31T08:00:00.000Z");
        Assert.Equal("2030-01-01T08:00:00.000Z", (string?)on["updatedAt"]);

        _clock.Advance(TimeSpan.FromHours(1));
        JsonObject off = await PutScheduleOkAsync(admin, keyId, new { enabled = false });
        AssertRotation(off, false, 30, null, null);

        JsonObject offWithInterval = await PutScheduleOkAsync(admin, keyId, new { enabled = false, intervalDays = 12 });
        AssertRotation(offWithInterval, false, 12, null, null);

        // A manual rotation with the schedule on moves the next rotation to now + interval (spec §7.13).
        await PutScheduleOkAsync(admin, keyId, new { enabled = true, intervalDays = 12 });
        _clock.Advance(TimeSpan.FromHours(2));
        JsonObject rotated = await RotateAsync(admin, keyId);
        AssertRotation(rotated, true, 12, "2030-01-01T11:00:00.000Z", "2030-01-13T11:00:00.000Z");

        // Invalid bodies are 422 and change nothing.
        keyId = (string)(await CreateKeyAsync(admin, projectId, "strict"))["id"]!;
        string path = $"/api/v1/kms/keys/{keyId}/rotation-schedule";

        await ApiAssert.ErrorAsync(await admin.PutAsJsonAsync(path, new { enabled = true }), 422, "ValidationFailure",
            "intervalDays: intervalDays is required when enabled is true");
        await ApiAssert.ErrorAsync(await admin.PutAsJsonAsync(path, new { enabled = true, intervalDays = 0 }), 422, "ValidationFailure",
            "intervalDays: Number must be greater than or equal to 1");
        await ApiAssert.ErrorAsync(await admin.PutAsJsonAsync(path, new { enabled = true, intervalDays = 366 }), 422, "ValidationFailure",
            "intervalDays: Number must be less than or equal to 365");
        await ApiAssert.ErrorAsync(await admin.PutAsJsonAsync(path, new { intervalDays = 5 }), 422, "ValidationFailure", "enabled: Required");
        await ApiAssert.ErrorAsync(await admin.PutAsJsonAsync(path, new { enabled = "true", intervalDays = 5 }), 422, "ValidationFailure",
            "enabled: Expected boolean, received string");

        JsonObject unchanged = await GetKeyAsync(admin, keyId);
        AssertRotation(unchanged, false, null, null, null);
    }

    [Fact]
    public async Task Scheduler_HostedLoop_RotatesADueKeyOnceAsTheClockMovesAsync()
    {
        await using var factory = new ScheduledRotationFactory(_database, _rootKey, runHostedScheduler: true) { Clock = _clock };
        HttpClient admin = (await factory.AdminAsync()).Client;

        // The production registration: one singleton, resolvable, and the same instance runs as the hosted loop.
        KeyRotationScheduler scheduler = factory.Services.GetRequiredService<KeyRotationScheduler>();
        Assert.Contains(factory.Services.GetServices<IHostedService>(), hosted => ReferenceEquals(hosted, scheduler));
        Assert.InRange(KeyRotationScheduler.CheckInterval, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(10));   // "at least every 10 minutes"
        string projectId = await CreateProjectAsync(admin);
        string keyId = (string)(await CreateKeyAsync(admin, projectId, "looped"))["id"]!;
        await PutScheduleOkAsync(admin, keyId, new { enabled = true, intervalDays = 1 });

        // The loop waits on the fake clock (one check a minute); nudge it a minute at a time until it has run.
        _clock.Advance(TimeSpan.FromDays(1));
        int version = 1;
        for (int attempt = 0; attempt < 200 && version == 1; attempt++)
        {
            _clock.Advance(TimeSpan.FromMinutes(1));
            await Task.Delay(25);
            version = (int)(await GetKeyAsync(admin, keyId))["version"]!;
        }

        Assert.Equal(2, version);

        // Further checks within the day find nothing due.
        for (int i = 0; i < 10; i++)
        {
            _clock.Advance(TimeSpan.FromMinutes(1));
            await Task.Delay(10);
        }

        Assert.Equal(2, (int)(await GetKeyAsync(admin, keyId))["version"]!);
    }

    public void Dispose()
    {
        _database.Dispose();
        CoreProcess.DeleteDirectory(_directory);
    }

    private static async Task<JsonObject> PutScheduleOkAsync(HttpClient client, string keyId, object body) =>
        (await ApiAssert.OkAsync(await client.PutAsJsonAsync($"/api/v1/kms/keys/{keyId}/rotation-schedule", body)))["key"]!.AsObject();

    /// <summary>The key's <c>rotation</c> member (spec §3): every member present, nulls included.</summary>
    private static void AssertRotation(JsonObject key, bool enabled, int? intervalDays, string? lastRotatedAt, string? nextRotationAt)
    {
        JsonObject rotation = key["rotation"]!.AsObject();
        Assert.Equal(["enabled", "intervalDays", "lastRotatedAt", "nextRotationAt"], rotation.Select(m => m.Key).Order(StringComparer.Ordinal));
        Assert.Equal(enabled, (bool)rotation["enabled"]!);
        Assert.Equal(intervalDays, (int?)rotation["intervalDays"]);
        Assert.Equal(lastRotatedAt, (string?)rotation["lastRotatedAt"]);
        Assert.Equal(nextRotationAt, (string?)rotation["nextRotationAt"]);
    }
}
