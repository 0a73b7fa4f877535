using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using InfisicalKms.Tests.Web.Startup;
using Microsoft.Data.Sqlite;

namespace InfisicalKms.Tests.TestSupport;

/// <summary>
/// The published server binary as its own process, in Production, on a fresh SQLite file, bootstrapped:
/// the real Kestrel, which decodes and normalises paths the way a client's request meets them.
/// </summary>
public class RunningServer : IAsyncLifetime
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "kms-running-" + Guid.NewGuid().ToString("N"));
    private ServerProcess? _process;

    public Uri Address { get; private set; } = default!;

    public string DatabasePath => Path.Combine(_directory, "kms.db");

    public HttpClient Anonymous { get; private set; } = default!;

    /// <summary>The bootstrap identity: organization admin.</summary>
    public HttpClient Admin { get; private set; } = default!;

    public string AdminToken { get; private set; } = "";

    public string OrganizationId { get; private set; } = "";

    public string AdminUserId { get; private set; } = "";

    public ServerProcess Process => _process ?? throw new InvalidOperationException("not started");

    public virtual async Task InitializeAsync()
    {
        Directory.CreateDirectory(_directory);
        _process = ServerProcess.Start("Production", DatabasePath, new Dictionary<string, string>
        {
            ["ROOT_ENCRYPTION_KEY"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
        });
        Address = await _process.WaitUntilListeningAsync(StartTimeout);
        Anonymous = new HttpClient { BaseAddress = Address, Timeout = TimeSpan.FromSeconds(30) };
        HttpResponseMessage boot = await Anonymous.PostAsJsonAsync("/api/v1/admin/bootstrap",
            new { email = "admin@example.com", password = "correct horse battery", organization = "Example Corp" });
        JsonObject body = await ApiAssert.OkAsync(boot);
        AdminToken = (string)body["identity"]!["credentials"]!["token"]!;
        OrganizationId = (string)body["organization"]!["id"]!;
        AdminUserId = (string)body["user"]!["id"]!;
        Admin = Authorized(AdminToken);
    }

    public HttpClient Authorized(string token)
    {
        var client = new HttpClient { BaseAddress = Address, Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    /// <summary>A URI on this server whose path and query go on the wire exactly as written: no decoding of
    /// <c>%2e</c>, no removal of dot segments, no escaping.</summary>
    public Uri Raw(string pathAndQuery) =>
        new(Address.GetLeftPart(UriPartial.Authority) + pathAndQuery, new UriCreationOptions { DangerousDisablePathAndQueryCanonicalization = true });

    /// <summary>
    /// Every row of the tables that hold keys, projects, memberships, identities, credentials and users, as
    /// text: equal snapshots mean nothing stored changed. The audit log is left out: refused requests that
    /// reach the permission check are audited by design.
    /// </summary>
    public async Task<string> SnapshotAsync()
    {
        string[] tables =
        [
            "Organizations", "Projects", "Keys", "KeyVersions", "Identities", "UniversalAuths", "ClientSecrets",
            "AccessTokens", "IdentityMemberships", "UserMemberships", "AspNetUsers", "RootKey",
        ];
        await using var connection = new SqliteConnection($"Data Source={DatabasePath};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync();
        var text = new StringBuilder();
        foreach (string table in tables)
        {
            await using SqliteCommand command = connection.CreateCommand();
            command.CommandText = $"SELECT * FROM \"{table}\" ORDER BY rowid";
            await using SqliteDataReader reader = await command.ExecuteReaderAsync();
            text.Append('#').AppendLine(table);
            while (await reader.ReadAsync())
            {
                for (int i = 0; i < reader.FieldCount; i++)
                {
                    object value = reader.GetValue(i);
                    text.Append(value is byte[] bytes ? Convert.ToHexString(bytes) : Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture)).Append('|');
                }

                text.AppendLine();
            }
        }

        return text.ToString();
    }

    public virtual async Task DisposeAsync()
    {
        Anonymous?.Dispose();
        Admin?.Dispose();
        if (_process is not null)
        {
            await _process.DisposeAsync();
        }

        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // Removed with the temp folder later; never fail a run on it.
        }
    }
}
