using System.Globalization;
using System.Text.Json;

namespace InfisicalKms.Tests.Core.Crypto;

/// <summary>One Wycheproof JSON file (layout in Vectors/wycheproof/README.md), parsed eagerly.</summary>
internal sealed record WycheproofFile(string FileName, string Algorithm, int NumberOfTests, IReadOnlyList<WycheproofGroup> Groups);

/// <summary>A test group: its parameters (key, sizes, hash) and its vectors.</summary>
internal sealed record WycheproofGroup(string FileName, JsonElement Parameters, IReadOnlyList<WycheproofTest> Tests)
{
    /// <summary>The group's <c>source</c>, e.g. <c>google-wycheproof 0.9rc5</c>.</summary>
    public string Source => Parameters.TryGetProperty("source", out JsonElement source)
        ? $"{WycheproofVectors.Text(source, "name")} {WycheproofVectors.Text(source, "version")}"
        : "unknown source";

    public string Text(string name) => WycheproofVectors.Text(Parameters, name);

    public int Int(string name) => Parameters.GetProperty(name).GetInt32();

    public byte[] Hex(string name) => Convert.FromHexString(Text(name));
}

/// <summary>A single vector: <c>tcId</c>, <c>comment</c>, <c>flags</c>, <c>result</c> and its byte-string inputs.</summary>
internal sealed record WycheproofTest(WycheproofGroup Group, int TcId, string Comment, IReadOnlyList<string> Flags, string Result, JsonElement Fields)
{
    public bool IsValid => Result == "valid";

    public bool IsInvalid => Result == "invalid";

    public bool IsAcceptable => Result == "acceptable";

    public byte[] Hex(string name) => Convert.FromHexString(WycheproofVectors.Text(Fields, name));

    /// <summary>What a failure message names: file, source, tcId, expected result, comment and flags.</summary>
    public string Describe(string problem) => string.Create(
        CultureInfo.InvariantCulture,
        $"{Group.FileName} ({Group.Source}) tcId {TcId} [{Result}] \"{Comment}\" flags [{string.Join(", ", Flags)}]: {problem}");
}

/// <summary>Loads the Wycheproof files copied next to the test assembly.</summary>
internal static class WycheproofVectors
{
    public static WycheproofFile Load(string fileName)
    {
        string path = Path.Combine(AppContext.BaseDirectory, "Core", "Crypto", "Vectors", "wycheproof", fileName);
        using JsonDocument document = JsonDocument.Parse(File.ReadAllBytes(path));
        JsonElement root = document.RootElement;

        var groups = new List<WycheproofGroup>();
        foreach (JsonElement groupJson in root.GetProperty("testGroups").EnumerateArray())
        {
            var tests = new List<WycheproofTest>();
            var group = new WycheproofGroup(fileName, groupJson.Clone(), tests);
            foreach (JsonElement test in groupJson.GetProperty("tests").EnumerateArray())
            {
                string[] flags = test.GetProperty("flags").EnumerateArray().Select(f => f.GetString() ?? "").ToArray();
                tests.Add(new WycheproofTest(
                    group, test.GetProperty("tcId").GetInt32(), Text(test, "comment"), flags, Text(test, "result"), test.Clone()));
            }

            groups.Add(group);
        }

        return new WycheproofFile(fileName, Text(root, "algorithm"), root.GetProperty("numberOfTests").GetInt32(), groups);
    }

    /// <summary>Fails the test unless at least one vector ran, exactly <paramref name="expected"/> ran, and none mismatched.</summary>
    public static void AssertAllPassed(WycheproofFile file, int expected, int checkedCount, IReadOnlyList<string> failures)
    {
        Assert.True(checkedCount > 0, $"{file.FileName}: no vectors were checked.");
        Assert.True(
            checkedCount == expected,
            string.Create(CultureInfo.InvariantCulture, $"{file.FileName}: checked {checkedCount} vectors, expected {expected}."));
        Assert.True(
            failures.Count == 0,
            string.Create(CultureInfo.InvariantCulture, $"{failures.Count} of {checkedCount} vectors failed:{Environment.NewLine}")
                + string.Join(Environment.NewLine, failures));
    }

    internal static string Text(JsonElement element, string name) =>
        element.GetProperty(name).GetString() ?? throw new InvalidDataException($"Wycheproof field '{name}' is null.");
}
