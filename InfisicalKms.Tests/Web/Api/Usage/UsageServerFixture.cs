using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using InfisicalKms.Core.Storage;
using InfisicalKms.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace InfisicalKms.Tests.Web.Api.Usage;

/// <summary>
/// The in-process server behind the usage route tests, on a fake clock so that a test can put operations into
/// the hours and days it names and knows where the default windows end. Tests only move the clock forward,
/// each by a few hours or days, and work in projects of their own.
/// </summary>
public sealed class UsageServerFixture : PeerAddressKmsFactory, IAsyncLifetime
{
    /// <summary>Not on a bucket boundary on purpose: the windows must be aligned to whole hours and days.</summary>
    public static readonly DateTimeOffset Start = new(2031, 3, 4, 5, 6, 7, 890, TimeSpan.Zero);

    public UsageServerFixture()
    {
        Clock = FakeClock;
    }

    public FakeTimeProvider FakeClock { get; } = new(Start);

    public AdminContext Admin { get; private set; } = default!;

    public DateTime Now => FakeClock.GetUtcNow().UtcDateTime;

    public async Task InitializeAsync() => Admin = await AdminAsync();

    Task IAsyncLifetime.DisposeAsync() => Task.CompletedTask;   // the factory disposes itself

    public void Advance(TimeSpan by) => FakeClock.Advance(by);

    /// <summary>Moves the clock to <paramref name="minutes"/> past the next whole hour.</summary>
    public DateTime NextHour(int minutes = 0)
    {
        DateTime now = Now;
        FakeClock.SetUtcNow(new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, 0, 0, TimeSpan.Zero).AddHours(1).AddMinutes(minutes));
        return Now;
    }

    public async Task<string> NewProjectAsync() =>
        await AuthTestHelpers.CreateProjectIdAsync(Admin.Client, "Usage " + KeyApi.UniqueName());

    /// <summary>Creates a key as the admin; returns its ID and name.</summary>
    public async Task<(string Id, string Name)> NewKeyAsync(string projectId, string usage = "encrypt-decrypt", string? algorithm = null, bool exportable = false)
    {
        string name = KeyApi.UniqueName("u");
        JsonObject body = await ApiAssert.OkAsync(await Admin.Client.PostAsJsonAsync(KeyApi.Keys,
            new { projectId, name, keyUsage = usage, algorithm, isExportable = exportable }));
        return ((string)body["key"]!["id"]!, name);
    }

    /// <summary>A new identity logged in now, with <paramref name="role"/> in the project when both are given.</summary>
    public async Task<ApiCaller> CallerAsync(string? projectId, string? role, string name = "usage-caller")
    {
        // Tokens for 30 days (the default is 2 hours), so that a test may move the clock on by hours after logging in.
        ApiCaller caller = await AuthTestHelpers.CreateCallerAsync(this, Admin, name,
            attachBody: new { accessTokenTTL = 2_592_000, accessTokenMaxTTL = 2_592_000 });
        if (projectId is not null && role is not null)
        {
            await AuthTestHelpers.AddIdentityMembershipAsync(Admin.Client, projectId, caller.IdentityId, role);
        }

        return caller;
    }

    public static Task<HttpResponseMessage> EncryptAsync(HttpClient client, string keyId) =>
        client.PostAsJsonAsync(KeyApi.Key(keyId) + "/encrypt", new { plaintext = "aGk=" });

    public static Task<HttpResponseMessage> DecryptAsync(HttpClient client, string keyId, string ciphertext) =>
        client.PostAsJsonAsync(KeyApi.Key(keyId) + "/decrypt", new { ciphertext });

    /// <summary>Encrypts <paramref name="times"/> times as <paramref name="client"/>, each expected to succeed.</summary>
    public static async Task EncryptOkAsync(HttpClient client, string keyId, int times = 1)
    {
        for (int i = 0; i < times; i++)
        {
            await ApiAssert.OkAsync(await EncryptAsync(client, keyId));
        }
    }

    /// <summary>A ciphertext of the key with one bit of its tag flipped: decrypting it fails with 400.</summary>
    public static string Tampered(string ciphertext)
    {
        byte[] blob = Convert.FromBase64String(ciphertext);
        blob[^1] ^= 0x01;
        return Convert.ToBase64String(blob);
    }

    public static async Task<JsonObject> KeyUsageAsync(HttpClient client, string keyId, string query = "") =>
        (await ApiAssert.OkAsync(await client.GetAsync($"{KeyApi.Key(keyId)}/usage{query}")))["usage"]!.AsObject();

    public static async Task<JsonObject> ProjectUsageAsync(HttpClient client, string projectId, string query = "") =>
        (await ApiAssert.OkAsync(await client.GetAsync($"/api/v1/projects/{projectId}/usage{query}")))["usage"]!.AsObject();

    /// <summary>Every audit record of the instance, for "a refused or read-only request wrote nothing".</summary>
    public async Task<int> AuditRecordCountAsync()
    {
        await using KmsDbContext db = await Services.GetRequiredService<IDbContextFactory<KmsDbContext>>().CreateDbContextAsync();
        return await db.AuditEvents.CountAsync();
    }

    /// <summary>A time as the API writes it.</summary>
    public static string Wire(DateTime utc) => utc.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    public static DateTime HourOf(DateTime utc) => new(utc.Year, utc.Month, utc.Day, utc.Hour, 0, 0, DateTimeKind.Utc);

    public static DateTime DayOf(DateTime utc) => utc.Date;

    /// <summary>Success and failure counts as the API writes them.</summary>
    public static string Counts(long success, long failure) => $$"""{"success":{{success}},"failure":{{failure}}}""";
}

/// <summary>The key and project usage tests share one server on one fake clock, so they run one at a time.</summary>
[CollectionDefinition(Name)]
public sealed class UsageServerCollection : ICollectionFixture<UsageServerFixture>
{
    public const string Name = "Usage server";
}
