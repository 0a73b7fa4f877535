using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using InfisicalKms.Core.Kmip;
using InfisicalKms.Tests.TestSupport;
using InfisicalKms.Tests.Web.Api.Lifecycle;
using static InfisicalKms.Tests.Kmip.KmipStep;

namespace InfisicalKms.Tests.Kmip;

/// <summary>What the README promises real clients: its PyKMIP example as written, and the sequence Percona's keyring_kmip sends.</summary>
public sealed partial class PyKmipTests
{
    /// <summary>The permissions the README gives a keyring_kmip client: no create, no crypto.</summary>
    private const KmipPermissions KeyringPermissions = KmipPermissions.Register | KmipPermissions.Activate | KmipPermissions.Locate
        | KmipPermissions.Get | KmipPermissions.GetAttributes | KmipPermissions.Revoke | KmipPermissions.Destroy;

    /// <summary>The permissions the README's worked example names, and its API example gives its client.</summary>
    private const KmipPermissions ReadmeExamplePermissions = KmipPermissions.Create | KmipPermissions.Activate | KmipPermissions.Get
        | KmipPermissions.Encrypt | KmipPermissions.Decrypt;

    [Fact]
    public async Task KeyringKmipSequence_RegisterActivateLocateGetNameRevokeDestroy_WithTheReadmePermissions()
    {
        string projectId = await server.CreateProjectAsync("PyKMIP keyring");
        KmipBundle mysql = await server.NewClientAsync(projectId, KeyringPermissions, name: "percona-keyring");
        byte[] masterKey = RandomNumberGenerator.GetBytes(32);
        string name = $"INNODBKey-{Guid.NewGuid()}-1";   // as InnoDB names its master keys

        // As component_keyring_kmip does: store = Register + Activate; load = Locate symmetric keys 16 at a time,
        // then Get and the Name of each; erase = Revoke (Unspecified) + Destroy.
        DriverRun run = await server.RunAsync(mysql,
            Register("AES", masterKey, name),                                          // 0
            Activate(Ref(0, "uid")),                                                   // 1
            Locate(objectType: "SYMMETRIC_KEY", maximumItems: 16, offsetItems: 0),     // 2
            Get(Ref(0, "uid")),                                                        // 3
            GetAttributes(Ref(0, "uid"), "Name"),                                      // 4
            Revoke(Ref(0, "uid"), "UNSPECIFIED", "Deleting the key"),                  // 5
            Destroy(Ref(0, "uid")),                                                    // 6
            Locate(objectType: "SYMMETRIC_KEY", maximumItems: 16, offsetItems: 0));    // 7

        string uid = Uid(run.Ok(0));
        run.Ok(1);
        Assert.Equal([uid], Uids(run.Ok(2)));
        Assert.Equal(masterKey, Bytes(run.Ok(3), "key"));
        Assert.Equal(name, (string?)Attributes(run.Ok(4))["Name"]);
        run.Ok(5);
        run.Ok(6);
        Assert.Empty(Uids(run.Ok(7)));
    }

    [Fact]
    public async Task ReadmeExample_PyKmipBlocks_RunAsWrittenAgainstTheServer()
    {
        string projectId = await server.CreateProjectAsync("PyKMIP README");
        KmipBundle client = await server.NewClientAsync(projectId, ReadmeExamplePermissions);
        string script = ReadmePythonExample()
            .Replace("hostname=\"kms.example.com\", port=5696", $"hostname=\"127.0.0.1\", port={server.Port.ToString(CultureInfo.InvariantCulture)}", StringComparison.Ordinal);
        Assert.Contains("127.0.0.1", script, StringComparison.Ordinal);
        string path = Path.Combine(client.Folder, "readme_example.py");
        File.WriteAllText(path, script);

        ToolResult result = await ExternalTools.RunAsync(PyKmipDriver.Python, ["-W", "ignore", path], workingDirectory: client.Folder, timeout: TimeSpan.FromSeconds(60));

        Assert.True(result.ExitCode == 0, $"the README's PyKMIP example failed:\n{result.Output}");
        string[] printed = result.StandardOutput.Trim().Split(' ');
        Assert.Equal("32", printed[1]);
        JsonObject key = await LifecycleApi.GetKeyAsync(server.Admin.Client, printed[0]);
        Assert.Equal("mysql-tde-master", (string?)key["name"]);
        Assert.Equal(projectId, (string?)key["projectId"]);
    }

    /// <summary>The python blocks of the README's "Worked example: PyKMIP" section, in order, as one script.</summary>
    private static string ReadmePythonExample()
    {
        string readme = File.ReadAllText(Path.Combine(ExternalTools.RepositoryRoot(), "README.md"));
        int start = readme.IndexOf("### Worked example: PyKMIP", StringComparison.Ordinal);
        Assert.True(start >= 0, "README.md has no \"Worked example: PyKMIP\" section");
        int end = readme.IndexOf("\n#", start + 4, StringComparison.Ordinal);
        string section = end < 0 ? readme[start..] : readme[start..end];
        List<string> blocks = [.. Regex.Matches(section, "```python\n(.*?)```", RegexOptions.Singleline).Select(m => m.Groups[1].Value)];
        Assert.Equal(2, blocks.Count);
        return string.Join("\n", blocks);
    }
}
