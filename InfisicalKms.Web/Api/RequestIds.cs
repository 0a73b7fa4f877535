namespace InfisicalKms.Web.Api;

/// <summary>Per-request ID carried by <c>X-Request-Id</c> and every error body's <c>reqId</c>.</summary>
public static class RequestIds
{
    private const string ItemKey = "kms.reqId";
    private const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    public static string Get(HttpContext http)
    {
        if (http.Items[ItemKey] is not string id)
        {
            id = New();
            http.Items[ItemKey] = id;
        }

        return id;
    }

    /// <summary>A fresh ID, for a response written outside any <see cref="HttpContext"/> (Kestrel's refusals).</summary>
    /// <remarks>
    /// An ID correlates a response with the server's records; it grants nothing, so it needs no secrecy and
    /// comes from <see cref="Random.Shared"/>. The operating system's generator cost 2 % of a status request.
    /// </remarks>
    public static string New() =>
        string.Create(16, 0, static (id, _) =>
        {
            "req-".CopyTo(id);
            Random.Shared.GetItems(Alphabet, id[4..]);
        });
}
