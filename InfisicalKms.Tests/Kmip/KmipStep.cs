using System.Text.Json.Nodes;

namespace InfisicalKms.Tests.Kmip;

/// <summary>
/// The driver's steps (see <c>pykmip/kmip_driver.py</c>). Bytes go as base64; a uid argument may be a reference
/// to an earlier result, e.g. <c>Ref(0, "uid")</c> = <c>"$0.uid"</c>.
/// </summary>
public static class KmipStep
{
    public static string Ref(int step, string field) => $"${step}.{field}";

    public static JsonObject Create(string algorithm, int length, string? name = null, params string[] usage)
    {
        var step = new JsonObject { ["op"] = "create", ["algorithm"] = algorithm, ["length"] = length, ["name"] = name };
        if (usage.Length > 0)
        {
            step["usage"] = new JsonArray([.. usage.Select(u => (JsonNode)u)]);
        }

        return step;
    }

    public static JsonObject CreateKeyPair(string algorithm, int length, string? name = null) =>
        new() { ["op"] = "create_key_pair", ["algorithm"] = algorithm, ["length"] = length, ["name"] = name };

    public static JsonObject Register(string algorithm, byte[] key, string? name = null) =>
        new() { ["op"] = "register", ["algorithm"] = algorithm, ["length"] = key.Length * 8, ["key"] = Convert.ToBase64String(key), ["name"] = name };

    public static JsonObject Locate(
        string? name = null, string? objectType = null, string? algorithm = null, int? length = null, string? state = null,
        int? maximumItems = null, int? offsetItems = null) =>
        new()
        {
            ["op"] = "locate", ["name"] = name, ["object_type"] = objectType, ["algorithm"] = algorithm, ["length"] = length,
            ["state"] = state, ["maximum_items"] = maximumItems, ["offset_items"] = offsetItems,
        };

    public static JsonObject Get(string uid) => new() { ["op"] = "get", ["uid"] = uid };

    /// <summary>The server's default attributes, or only <paramref name="names"/> (PyKMIP 0.10 cannot decode Link or Revocation Reason).</summary>
    public static JsonObject GetAttributes(string uid, params string[] names)
    {
        var step = new JsonObject { ["op"] = "get_attributes", ["uid"] = uid };
        if (names.Length > 0)
        {
            step["names"] = new JsonArray([.. names.Select(n => (JsonNode)n)]);
        }

        return step;
    }

    public static JsonObject Activate(string uid) => new() { ["op"] = "activate", ["uid"] = uid };

    public static JsonObject Revoke(string uid, string reason = "CESSATION_OF_OPERATION", string? message = null) =>
        new() { ["op"] = "revoke", ["uid"] = uid, ["reason"] = reason, ["message"] = message };

    public static JsonObject Destroy(string uid) => new() { ["op"] = "destroy", ["uid"] = uid };

    /// <summary>GCM: the KMIP 1.4 split form (data, iv, tag); otherwise KMIP 1.2 without parameters (data only).</summary>
    public static JsonObject Encrypt(string uid, byte[] data, bool gcm = true, byte[]? aad = null) =>
        new() { ["op"] = "encrypt", ["uid"] = uid, ["data"] = Convert.ToBase64String(data), ["gcm"] = gcm, ["aad"] = Base64(aad) };

    /// <summary>Decrypt of the split form (data, iv and tag given as values or references).</summary>
    public static JsonObject Decrypt(string uid, string data, string? iv = null, string? tag = null, byte[]? aad = null) =>
        new() { ["op"] = "decrypt", ["uid"] = uid, ["data"] = data, ["iv"] = iv, ["tag"] = tag, ["gcm"] = tag is not null, ["aad"] = Base64(aad) };

    public static JsonObject Sign(string uid, byte[] data, string algorithm) =>
        new() { ["op"] = "sign", ["uid"] = uid, ["data"] = Convert.ToBase64String(data), ["algorithm"] = algorithm };

    public static JsonObject SignatureVerify(string uid, byte[] data, string signature, string algorithm) =>
        new() { ["op"] = "signature_verify", ["uid"] = uid, ["data"] = Convert.ToBase64String(data), ["signature"] = signature, ["algorithm"] = algorithm };

    public static JsonObject Mac(string uid, byte[] data, string algorithm = "HMAC_SHA256") =>
        new() { ["op"] = "mac", ["uid"] = uid, ["data"] = Convert.ToBase64String(data), ["algorithm"] = algorithm };

    public static JsonObject DiscoverVersions() => new() { ["op"] = "discover_versions" };

    public static JsonObject Query() => new() { ["op"] = "query" };

    /// <summary>The driver creates <paramref name="path"/> (it has reached this step).</summary>
    public static JsonObject Signal(string path) => new() { ["op"] = "signal", ["path"] = path };

    /// <summary>The driver waits until <paramref name="path"/> exists (the test has acted).</summary>
    public static JsonObject Wait(string path) => new() { ["op"] = "wait", ["path"] = path, ["timeout"] = 60 };

    private static string? Base64(byte[]? bytes) => bytes is null ? null : Convert.ToBase64String(bytes);
}
