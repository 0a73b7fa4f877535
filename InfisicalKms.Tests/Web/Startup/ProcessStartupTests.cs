using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;

namespace InfisicalKms.Tests.Web.Startup;

/// <summary>
/// The real server binary refuses to start with a non-zero exit code and the spec §11.3 message on standard
/// error, and never prints a key.
/// </summary>
public sealed class ProcessStartupTests : IDisposable
{
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(30);

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "kms-process-" + Guid.NewGuid().ToString("N"));

    public ProcessStartupTests() => Directory.CreateDirectory(_directory);

    private string DatabasePath => Path.Combine(_directory, "kms.db");

    public static TheoryData<string, string, string> MalformedKeys => new()
    {
        { "ENCRYPTION_KEY", "0123456789abcdef0123456789abcdeg", "ENCRYPTION_KEY must be exactly 32 hexadecimal characters (16 random bytes, hex-encoded)." },
        { "ENCRYPTION_KEY", "fedcba9876543210fedcba9876543210\n", "ENCRYPTION_KEY must be exactly 32 hexadecimal characters (16 random bytes, hex-encoded)." },
        { "ROOT_ENCRYPTION_KEY", Convert.ToBase64String(new byte[31]), "ROOT_ENCRYPTION_KEY must be the base64 encoding of exactly 32 bytes." },
    };

    [Fact]
    public async Task Start_ProductionWithoutKey_ExitsNonZeroWithRefusalOnStandardError()
    {
        await using ServerProcess server = ServerProcess.Start("Production", DatabasePath, new Dictionary<string, string>());

        int exitCode = await server.WaitForExitAsync(ExitTimeout);

        Assert.NotEqual(0, exitCode);
        Assert.Contains("Refusing to start in Production: set ENCRYPTION_KEY or ROOT_ENCRYPTION_KEY, " +
            "or configure an HSM (HSM_LIB_PATH, HSM_PIN, HSM_KEY_LABEL).", server.StandardError, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_directory, "root-encryption-key.dev")));
    }

    [Fact]
    public async Task Start_RestartWithAnotherRootEncryptionKey_ExitsNonZeroWithoutPrintingEitherKey()
    {
        // Arrange: an instance initialised with key A, up and answering.
        string keyA = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        string keyB = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        await using (ServerProcess first = ServerProcess.Start("Production", DatabasePath, new Dictionary<string, string> { ["ROOT_ENCRYPTION_KEY"] = keyA }))
        {
            Uri address = await first.WaitUntilListeningAsync(ExitTimeout);
            using var client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(10) };
            using HttpResponseMessage status = await client.GetAsync(new Uri("/api/status", UriKind.Relative));
            string body = await status.Content.ReadAsStringAsync();
            Assert.True(status.StatusCode == HttpStatusCode.OK, $"GET /api/status: {(int)status.StatusCode} {body}");
            Assert.Equal("SOFTWARE", (string?)JsonNode.Parse(body)!["rootKey"]!["strategy"]);
            await first.StopAsync();
            Assert.DoesNotContain(keyA, first.StandardOutput + first.StandardError, StringComparison.Ordinal);
        }

        // Act: the same database with key B.
        await using ServerProcess second = ServerProcess.Start("Production", DatabasePath, new Dictionary<string, string> { ["ROOT_ENCRYPTION_KEY"] = keyB });
        int exitCode = await second.WaitForExitAsync(ExitTimeout);

        // Assert
        Assert.NotEqual(0, exitCode);
        Assert.Contains("ROOT_ENCRYPTION_KEY cannot decrypt the stored root key. It is not the key this instance was initialised with.",
            second.StandardError, StringComparison.Ordinal);
        string everything = second.StandardOutput + second.StandardError;
        Assert.DoesNotContain(keyA, everything, StringComparison.Ordinal);
        Assert.DoesNotContain(keyB, everything, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(MalformedKeys))]
    public async Task Start_MalformedKey_ExitsNonZeroWithItsMessage(string variable, string value, string message)
    {
        await using ServerProcess server = ServerProcess.Start("Production", DatabasePath, new Dictionary<string, string> { [variable] = value });

        int exitCode = await server.WaitForExitAsync(ExitTimeout);

        Assert.NotEqual(0, exitCode);
        Assert.Contains(message, server.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain(value.Trim(), server.StandardOutput + server.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_SeveralBadSettings_ExitsOneWithOneLinePerSettingAndNoStackTrace()
    {
        // Arrange: an audit setting, a malformed key and an HSM configuration missing two variables (its PIN given).
        var variables = new Dictionary<string, string>
        {
            ["Kms__Audit__CommitDelayMs"] = "250",
            ["ROOT_ENCRYPTION_KEY"] = "c2hvcnQtc2VjcmV0LWtleQ==",
            ["HSM_PIN"] = "secret-pin-4242",
        };

        // Act
        await using ServerProcess server = ServerProcess.Start("Production", DatabasePath, variables);
        int exitCode = await server.WaitForExitAsync(ExitTimeout);

        // Assert
        Assert.Equal(1, exitCode);
        string[] lines = server.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal(
            [
                "HSM configuration is incomplete: HSM_LIB_PATH, HSM_KEY_LABEL must be set.",
                "Kms:Audit:CommitDelayMs must be a whole number of milliseconds from 0 to 100 (0 commits audit records without waiting for others).",
                "ROOT_ENCRYPTION_KEY must be the base64 encoding of exactly 32 bytes.",
            ],
            lines.Order(StringComparer.Ordinal));
        string everything = server.StandardOutput + server.StandardError;
        Assert.DoesNotContain("   at ", everything, StringComparison.Ordinal);
        Assert.DoesNotContain("secret-pin-4242", everything, StringComparison.Ordinal);
        Assert.DoesNotContain("c2hvcnQtc2VjcmV0LWtleQ==", everything, StringComparison.Ordinal);
        Assert.False(File.Exists(DatabasePath), "the database was touched before the settings were checked");
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // Left for the temp folder's own clean-up; never fail a test on it.
        }
    }
}
