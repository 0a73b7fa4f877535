namespace InfisicalKms.Web.Http;

/// <summary>
/// The path of a request exactly as the client sent it (the request target before Kestrel decodes and
/// normalises it), split into its segments.
/// </summary>
/// <remarks>
/// Kestrel percent-decodes the path and then removes dot segments (RFC 3986 §5.2.4), so
/// <c>/projects/P/identity-memberships/%2e%2e</c> reaches routing as <c>/projects/P</c>. An encoded slash
/// (<c>%2F</c>) stays encoded in the path but is one character of a route value. Neither belongs in a path
/// that names a route: an untrusted ID put into a path must never turn one route into another.
/// </remarks>
public static class RawPath
{
    /// <summary>The path part of a request target: origin form up to <c>?</c>, or the path of an absolute form.</summary>
    public static string PathOf(string rawTarget)
    {
        int start = 0;
        if (!rawTarget.StartsWith('/'))
        {
            // Absolute form (http://host/path?query); the authority form and '*' have no path.
            int scheme = rawTarget.IndexOf("://", StringComparison.Ordinal);
            start = scheme < 0 ? -1 : rawTarget.IndexOf('/', scheme + 3);
            if (start < 0)
            {
                return "";
            }
        }

        int end = rawTarget.IndexOfAny(['?', '#'], start);
        return rawTarget[start..(end < 0 ? rawTarget.Length : end)];
    }

    /// <summary>
    /// The positions (0-based, after the leading slash) of the segments that are a dot segment, raw or
    /// percent-encoded (<c>.</c>, <c>..</c>, <c>%2e%2e</c>, <c>.%2E</c>), or that hold an encoded slash.
    /// </summary>
    public static IReadOnlyList<int> AmbiguousSegments(string path)
    {
        // Fast path: a path with neither '.' nor '%' has nothing to find.
        if (path.AsSpan().IndexOfAny('.', '%') < 0)
        {
            return [];
        }

        List<int>? found = null;
        string[] segments = Segments(path);
        for (int i = 0; i < segments.Length; i++)
        {
            if (IsDotSegment(segments[i]) || segments[i].Contains("%2f", StringComparison.OrdinalIgnoreCase))
            {
                (found ??= []).Add(i);
            }
        }

        return found ?? (IReadOnlyList<int>)[];
    }

    /// <summary>The segments after the leading slash, still percent-encoded.</summary>
    public static string[] Segments(string path) => path.Length <= 1 ? [] : path[1..].Split('/');

    private static bool IsDotSegment(string segment)
    {
        string decoded = segment.Replace("%2e", ".", StringComparison.OrdinalIgnoreCase);
        return decoded is "." or "..";
    }
}
