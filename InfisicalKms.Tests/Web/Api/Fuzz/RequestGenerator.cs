using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using CsCheck;
using InfisicalKms.Web.Http;

namespace InfisicalKms.Tests.Web.Api.Fuzz;

/// <summary>
/// Generates one <see cref="FuzzCase"/> for an operation of the OpenAPI document: a request built from the
/// operation's own parameters and body schema, with values that name the fixture's real objects, then exactly
/// one invalidating mutation and some harmless noise. Nothing here names a route: a new route in the document
/// is fuzzed as it is.
/// </summary>
public sealed class RequestGenerator(FuzzServer server)
{
    public const string NotJson = "Request body is not valid JSON";
    public const string NotObject = "Request body must be a JSON object";
    public const string MediaType = "Content-Type must be application/json";
    public const string TooLarge = "Request body exceeds the limit of ";
    public const string KestrelRefusal = "The request is not valid HTTP: the request line, the path or a header is malformed or missing";

    /// <summary>Larger than every route's limit (spec §1.9: 2 MiB for crypto routes, 1 MiB for the rest).</summary>
    public const int OverEveryLimit = 2_097_152;

    private static readonly string[] DotSegments = ["..", ".", "%2e%2e", "%2E%2E", ".%2E", "%2e.", "%2e", "%2E", "a%2Fb", "%2F", "%2f..%2f", "..%2F..", "%2e%2e%2f"];
    private static readonly string[] BadPathBytes = ["%00", "%FF", "%C0%AE", "%ED%A0%80", "a%00b", "%E2%82"];
    /// <summary>As they go on the wire: %20 is a space, %2B a plus sign (a raw + is a space in a query).</summary>
    private static readonly string[] BadQueryIntegers = ["%205", "5%20", "%2B5", "+5", "1e1", "0x10", "abc", "5,0", "1.5", "%EF%BC%95", "99999999999999999999", "%FF", "NaN", "Infinity", "--1"];
    private static readonly string[] BadSlugs = ["Upper", "-lead", "trail-", "a--b", "a_b", "a%20b", "%C3%A9t%C3%A9", "%D9%A3", "a.b"];
    private static readonly string[] ContentTypes = ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/xml", "text/json", "application/json-patch+json", "application/jsonx", "json", ""];
    private static readonly string[] BadBase64 = ["QQ", "QQ=", "Q===", "QQ==\n", " QQ==", "QQ-_", "QQ==QQ==", "!!!!", "QUJD\u00e9", "QU JD", "QUJD="];
    private static readonly string[] BadEmails = ["plainaddress", "@example.com", "a@", "a b@example.com", "a@@example.com", "a@b@example.com"];
    private static readonly string[] BadIps = ["1.2.3", "0x7f.1", "010.0.0.1", "256.1.1.1", "1.2.3.4/33", "::1/129", "example.com", "1.2.3.4/8/8"];
    private static readonly string[] GoodIps = ["10.0.0.0/8", "192.168.1.10", "::1", "2001:db8::/32", "0.0.0.0/0"];
    private static readonly byte[][] BadUtf8 =
    [
        [0xFF], [0xFE], [0xC0, 0xAF], [0xE0, 0x80, 0xAF], [0xED, 0xA0, 0x80], [0xF8, 0x88, 0x80, 0x80, 0x80], [0x80], [0xC3], [0xE2, 0x82], [0xF4, 0x90, 0x80, 0x80],
    ];

    private static readonly string[] LoneSurrogates = ["\\ud800", "\\udc00x", "\\uD83D", "\\udfff\\ud800", "\\ud800\\u0041", "\\uDBFF\\uDBFF"];
    private static readonly JsonSerializerOptions RawUtf8 = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public FuzzCase Generate(ApiOperation operation, PCG pcg)
    {
        string seed = pcg.ToString();
        var builder = new Builder(operation, server, new FuzzRandom(pcg));
        return builder.Build(seed);
    }

    /// <summary>A body member as bytes on the wire, so that names and values can be anything, valid or not.</summary>
    private sealed record Member(string Name, byte[] RawName, byte[] Value);

    private sealed class Builder(ApiOperation operation, FuzzServer server, FuzzRandom random)
    {
        private readonly (string Id, string Name) _key = random.Pick(server.Keys);
        private readonly List<string> _segments = [];
        private readonly Dictionary<string, int> _parameterSegments = [];
        private readonly List<KeyValuePair<string, string>> _query = [];
        private readonly List<KeyValuePair<string, string>> _headers = [];
        private readonly List<string> _noise = [];
        private List<Member>? _members;
        private byte[]? _rawBody;
        private string? _contentType;
        private bool _chunked;

        public FuzzCase Build(string seed)
        {
            BuildValidRequest();
            AddNoiseBeforeMutation();
            (string mutation, Expectation expected) = Mutate();
            AddNoiseAfterMutation(mutation);
            string path = "/" + string.Join('/', _segments);
            string query = _query.Count == 0 ? "" : "?" + string.Join('&', _query.Select(q => q.Key + "=" + q.Value));
            byte[]? body = _rawBody ?? (_members is null ? null : Serialize(_members));
            return new FuzzCase(operation.OperationId, seed, operation.Method, path + query, _headers, _contentType, body, _chunked, mutation, _noise, expected);
        }

        private void BuildValidRequest()
        {
            foreach (string segment in operation.PathTemplate.Split('/', StringSplitOptions.RemoveEmptyEntries))
            {
                if (segment.StartsWith('{'))
                {
                    string name = segment[1..^1];
                    _parameterSegments[name] = _segments.Count;
                    _segments.Add(Uri.EscapeDataString(ValidText(name, operation.PathParameters.First(p => p.Name == name).Schema)));
                }
                else
                {
                    _segments.Add(segment);
                }
            }

            foreach (ApiParameter parameter in operation.QueryParameters.Where(p => p.Required || random.Chance(50)))
            {
                _query.Add(new(parameter.Name, Uri.EscapeDataString(ValidQueryText(parameter))));
            }

            if (operation.Body is { } body)
            {
                _members = body.Properties
                    .Where(p => body.Required.Contains(p.Name) || random.Chance(60))
                    .Select(p => NewMember(p.Name, ValidJson(p.Name, p.Schema, 0)))
                    .ToList();
                _contentType = "application/json";
            }
        }

        private void AddNoiseBeforeMutation()
        {
            if (_members is null)
            {
                return;
            }

            if (random.Chance(30))
            {
                int count = random.Int(1, 3);
                for (int i = 0; i < count; i++)
                {
                    string name = UnknownName();
                    _members.Insert(random.Int(0, _members.Count), NewMember(name, AnyJson(0)));
                }

                _noise.Add($"{count} unknown member(s)");
            }

            var optional = operation.Body!.Properties.Where(p => !operation.Body.Required.Contains(p.Name)).ToList();
            if (optional.Count > 0 && random.Chance(25))
            {
                string name = random.Pick(optional).Name;
                _members.RemoveAll(m => m.Name == name);
                _members.Insert(random.Int(0, _members.Count), NewMember(name, "null"u8.ToArray()));
                _noise.Add($"{name}: null (as if absent)");
            }
        }

        private void AddNoiseAfterMutation(string mutation)
        {
            if (_members is not null && _rawBody is null && _members.Count > 0 && random.Chance(20) && !mutation.Contains("missing", StringComparison.Ordinal))
            {
                Member twin = random.Pick(_members);
                _members.Insert(random.Int(0, _members.Count), twin);
                _noise.Add($"member '{twin.Name}' twice, same value");
            }

            if (_contentType == "application/json" && random.Chance(25))
            {
                _contentType = random.Pick(["application/json; charset=utf-8", "application/json;charset=UTF-8", "Application/JSON"]);
                _noise.Add("Content-Type " + _contentType);
            }

            if (random.Chance(20))
            {
                _query.Add(new(Uri.EscapeDataString(UnknownName()), Uri.EscapeDataString(random.Text(0, 12))));
                _noise.Add("unknown query parameter");
            }

            if (!operation.Authenticated && random.Chance(30))
            {
                _headers.Add(new("Authorization", random.Pick(["Bearer expired.or.wrong", "Basic Zm9vOmJhcg==", "Bearer", "garbage"])));
                _noise.Add("Authorization header on a public route (ignored)");
            }

            if (!operation.HasBody && random.Chance(15))
            {
                _rawBody = random.Chance(50) ? Encoding.UTF8.GetBytes("{\"a\":") : Serialize([NewMember("projectId", "1"u8.ToArray())]);
                _contentType = random.Pick(["application/json", "text/plain"]);
                _noise.Add($"a body on {operation.Method} (ignored)");
            }

            if ((_rawBody is not null || _members is not null) && random.Chance(15))
            {
                _chunked = true;
                _noise.Add("chunked, no Content-Length");
            }
        }

        private (string Mutation, Expectation Expected) Mutate()
        {
            var choices = new List<(int Weight, Func<(string, Expectation)> Apply)>();
            foreach (ApiParameter parameter in operation.PathParameters)
            {
                choices.Add((3, () => PathParameter(parameter, random.Pick(DotSegments), dotSegment: true)));
                choices.Add((1, () => PathParameter(parameter, random.Pick(BadPathBytes), dotSegment: false)));
                if (IsId(parameter.Name))
                {
                    choices.Add((2, () => PathParameter(parameter, NotAUuid(), dotSegment: false)));
                }
                else
                {
                    choices.Add((2, () => PathParameter(parameter, random.Pick(BadSlugs), dotSegment: false)));
                }
            }

            choices.Add((3, StaticDotSegment));
            foreach (ApiParameter parameter in operation.QueryParameters)
            {
                choices.AddRange(QueryMutations(parameter).Select(m => (2, m)));
            }

            if (operation.Body is { } body)
            {
                choices.Add((2, WrongContentType));
                choices.Add((2, InvalidJson));
                choices.Add((1, NotAnObject));
                choices.Add((3, InvalidUtf8));
                choices.Add((3, LoneSurrogate));
                choices.Add((1, DeepNesting));
                choices.Add((1, Huge));
                foreach ((string name, Schema schema) in body.Properties)
                {
                    choices.AddRange(FieldMutations(name, schema, body.Required.Contains(name)).Select(m => (2, m)));
                }
            }

            int total = choices.Sum(c => c.Weight);
            int pick = random.Int(0, total - 1);
            foreach ((int weight, Func<(string, Expectation)> apply) in choices)
            {
                if (pick < weight)
                {
                    return apply();
                }

                pick -= weight;
            }

            throw new InvalidOperationException("unreachable");
        }

        // ----- Path -----

        private (string, Expectation) PathParameter(ApiParameter parameter, string raw, bool dotSegment)
        {
            _segments[_parameterSegments[parameter.Name]] = raw;
            string what = $"path parameter {parameter.Name} = '{raw}'";

            // Refused before routing (issue #12): a dot segment or an encoded slash where an ID stands is
            // 422 Invalid uuid, elsewhere 400. Otherwise a UUID parameter fails validation; projectId is not
            // UUID-validated (spec §4.4), so other text names no project: 404.
            Expectation expected = dotSegment || raw.Contains("%2F", StringComparison.OrdinalIgnoreCase)
                ? IsId(parameter.Name) ? Expectation.Validation(parameter.Name, "Invalid uuid") : Expectation.Status(400, ExactPathMiddleware.Message)
                : parameter.Schema.Format == "uuid" ? Expectation.Validation(parameter.Name, "Invalid uuid")
                : IsId(parameter.Name) ? new Expectation([404])
                : Expectation.Validation(parameter.Name);

            // Kestrel refuses a NUL itself, first (400), and leaves bytes that are not UTF-8 percent-encoded.
            return BadPathBytes.Contains(raw) || raw.Contains("%00", StringComparison.Ordinal)
                ? (what + " (bytes that are not text)", new Expectation([400, .. expected.Statuses]))
                : (what + (dotSegment ? " (dot segment or encoded slash)" : ""), expected);
        }

        private (string, Expectation) StaticDotSegment()
        {
            var statics = Enumerable.Range(1, _segments.Count - 1).Where(i => !_parameterSegments.ContainsValue(i)).ToList();
            string raw = random.Pick(DotSegments);
            if (statics.Count > 0 && random.Chance(30))
            {
                int at = random.Pick(statics);
                _segments[at - 1] += "%2F" + _segments[at];
                _segments.RemoveAt(at);
                ShiftParameters(at, -1);
                raw = "%2F between two fixed segments";
            }
            else
            {
                int at = random.Int(1, _segments.Count);
                _segments.Insert(at, raw);
                ShiftParameters(at, +1);
                raw = $"'{raw}' inserted as segment {at}";
            }

            // Where the new segment lands on an ID of another route it is 422 Invalid uuid, else 400: never routed.
            return ($"path {raw}", new Expectation([400, 422]));
        }

        private void ShiftParameters(int from, int by)
        {
            foreach (string name in _parameterSegments.Keys.ToList())
            {
                if (_parameterSegments[name] >= from)
                {
                    _parameterSegments[name] += by;
                }
            }
        }

        private string NotAUuid()
        {
            Guid id = random.Guid();
            return random.Pick(
            [
                "not-a-uuid", "1", "00000000-0000-0000-0000-00000000000", id + "0", id.ToString("N"), Uri.EscapeDataString(id.ToString("B")),
                id.ToString().Replace('-', '_'), "%20" + id, id.ToString()[..35] + "g", Uri.EscapeDataString(random.Text(1, 40)),
            ]);
        }

        // ----- Query -----

        private IEnumerable<Func<(string, Expectation)>> QueryMutations(ApiParameter parameter)
        {
            Schema schema = parameter.Schema;
            if (parameter.Required)
            {
                yield return () => SetQuery(parameter, null, "missing");
            }

            if (schema.Type == "string" && schema.RefusesEmpty)
            {
                yield return () => SetQuery(parameter, "", "empty");
            }

            if (schema.Type == "integer")
            {
                yield return () => SetQuery(parameter, random.Pick(BadQueryIntegers), "not a decimal integer");
                if (schema.Minimum is { } min)
                {
                    yield return () => SetQuery(parameter, (min - random.Int(1, 5)).ToString(System.Globalization.CultureInfo.InvariantCulture), "below its minimum");
                }

                if (schema.Maximum is { } max && max < int.MaxValue)
                {
                    yield return () => SetQuery(parameter, (max + random.Int(1, 5)).ToString(System.Globalization.CultureInfo.InvariantCulture), "above its maximum");
                }
            }

            if (schema.Enum.Count > 0)
            {
                yield return () => SetQuery(parameter, Uri.EscapeDataString(BadEnumText(schema)), "not one of its values");
            }

            if (schema.Format is "uuid")
            {
                yield return () => SetQuery(parameter, NotAUuid(), "not a uuid");
            }

            if (schema.Format is "date-time")
            {
                yield return () => SetQuery(parameter, Uri.EscapeDataString(random.Pick(["2026-13-01T00:00:00Z", "yesterday", "2026-01-01", "2026-01-01T00:00:00", "1700000000"])), "not an RFC 3339 date-time");
            }
        }

        private (string, Expectation) SetQuery(ApiParameter parameter, string? raw, string what, string? message = null)
        {
            _query.RemoveAll(q => q.Key == parameter.Name);
            if (raw is not null)
            {
                _query.Insert(random.Int(0, _query.Count), new(parameter.Name, raw));
            }

            return ($"query {parameter.Name} {what}{(raw is null ? "" : $": '{raw}'")}", Expectation.Validation(parameter.Name, message));
        }

        // ----- Body as a whole -----

        private (string, Expectation) WrongContentType()
        {
            string type = random.Pick(ContentTypes);
            _contentType = type.Length == 0 ? null : type;
            EnsureNonEmptyBody();
            return ($"Content-Type {(type.Length == 0 ? "absent" : type)} with a JSON body", Expectation.Status(415, MediaType));
        }

        private (string, Expectation) InvalidJson()
        {
            byte[] valid = Serialize(_members!);
            string how;
            switch (random.Int(0, 2))
            {
                case 0:
                    int cut = random.Int(1, valid.Length - 1);
                    _rawBody = valid[..cut];
                    how = $"cut after {cut} of {valid.Length} bytes";
                    break;
                case 1:
                    string tail = random.Pick(["x", ",", "}", " {}", "[", "\u0000", "//"]);
                    _rawBody = [.. valid, .. Encoding.UTF8.GetBytes(tail)];
                    how = $"followed by '{tail}'";
                    break;
                default:
                    string text = random.Pick(
                    [
                        "{'a':1}", "{a:1}", "{\"a\":1,}", "{\"a\":NaN}", "{\"a\":01}", "{\"a\":\"\t\"}", "{\"a\":\"\\x41\"}", "/*c*/{}",
                        "{\"a\":tru}", "{\"a\" 1}", "{\"a\":\"\\u12\"}", "{\"a\":-}", "{\"a\":1.}", "{\"a\":.5}", "{\"a\":+1}",
                    ]);
                    _rawBody = Encoding.UTF8.GetBytes(text);
                    how = text;
                    break;
            }

            return ($"not JSON: {how}", Expectation.Status(400, NotJson));
        }

        private (string, Expectation) NotAnObject()
        {
            string text = random.Pick(["[]", "[{}]", "\"x\"", "1", "null", "true", "[" + Encoding.UTF8.GetString(Serialize(_members!)) + "]"]);
            _rawBody = Encoding.UTF8.GetBytes(text);
            return ($"a JSON {text[0] switch { '[' => "array", '"' => "string", 'n' => "null", 't' => "boolean", _ => "number" }} as the body", Expectation.Status(400, NotObject));
        }

        private (string, Expectation) InvalidUtf8()
        {
            byte[] bad = random.Pick(BadUtf8);
            byte[] inString = [.. Encoding.UTF8.GetBytes(random.Text(0, 5).Replace("\\", "", StringComparison.Ordinal).Replace("\"", "", StringComparison.Ordinal)), .. bad];
            return PlaceInvalidText(inString, $"bytes {Convert.ToHexString(bad)} (not UTF-8)");
        }

        private (string, Expectation) LoneSurrogate()
        {
            string escape = random.Pick(LoneSurrogates);
            return PlaceInvalidText(Encoding.ASCII.GetBytes("ab" + escape), $"escape {escape} (a lone surrogate)");
        }

        /// <summary>Puts string content (without quotes) that is not valid Unicode in a value or a member name.</summary>
        private (string, Expectation) PlaceInvalidText(byte[] content, string what)
        {
            byte[] quoted = [(byte)'"', .. content, (byte)'"'];
            var strings = _members!.Where(m => m.Value is [(byte)'"', ..]).ToList();
            string where;
            switch (random.Int(0, 3))
            {
                case 0 when strings.Count > 0:
                    Member target = random.Pick(strings);
                    _members![_members.IndexOf(target)] = target with { Value = quoted };
                    where = $"in the value of '{target.Name}'";
                    break;
                case 1:
                    _members!.Insert(random.Int(0, _members.Count), new Member("?", quoted, "1"u8.ToArray()));
                    where = "in a member name";
                    break;
                case 2:
                    string nested = UnknownName();
                    _members!.Insert(random.Int(0, _members.Count), NewMember(nested, [.. "{\"x\":[1,"u8, .. quoted, .. "]}"u8]));
                    where = $"inside unknown member '{nested}'";
                    break;
                default:
                    string unknown = UnknownName();
                    _members!.Insert(random.Int(0, _members.Count), NewMember(unknown, quoted));
                    where = $"in the value of unknown member '{unknown}'";
                    break;
            }

            return ($"{what} {where}", Expectation.Status(400, NotJson));
        }

        private (string, Expectation) DeepNesting()
        {
            int depth = random.Int(70, 400);
            bool arrays = random.Chance(50);
            var value = new StringBuilder();
            for (int i = 0; i < depth; i++)
            {
                value.Append(arrays ? "[" : "{\"a\":");
            }

            value.Append('1');
            for (int i = 0; i < depth; i++)
            {
                value.Append(arrays ? ']' : '}');
            }

            string name = _members!.Count > 0 && random.Chance(50) ? random.Pick(_members).Name : UnknownName();
            _members.RemoveAll(m => m.Name == name);
            _members.Add(NewMember(name, Encoding.ASCII.GetBytes(value.ToString())));
            return ($"'{name}' nested {depth} {(arrays ? "arrays" : "objects")} deep", Expectation.Status(400, NotJson));
        }

        private (string, Expectation) Huge()
        {
            int size = OverEveryLimit + random.Int(1, 4096);
            _members!.Add(NewMember(UnknownName(), Encoding.ASCII.GetBytes("\"" + new string('A', size) + "\"")));
            return ($"body over {OverEveryLimit} bytes", Expectation.Status(413, TooLarge, prefix: true));
        }

        private void EnsureNonEmptyBody()
        {
            if (_members!.Count == 0)
            {
                _members.Add(NewMember(UnknownName(), "1"u8.ToArray()));
            }
        }

        // ----- Documented fields -----

        private IEnumerable<Func<(string, Expectation)>> FieldMutations(string name, Schema schema, bool required)
        {
            string type = schema.Type;
            if (WrongTypes(type) is { Length: > 0 } wrong)
            {
                yield return () => SetField(name, random.Pick(wrong), $"wrong JSON type for {type}");
            }

            if (required)
            {
                yield return () =>
                {
                    _members!.RemoveAll(m => m.Name == name);
                    return ($"required member '{name}' missing", Expectation.Validation(name, "Required"));
                };
                yield return () => SetField(name, "null", "null for a required member", "Required");
            }

            if (type == "string" && schema.RefusesEmpty)
            {
                yield return () => SetField(name, "\"\"", "empty string");
            }

            if (type == "array" && schema.MinItems > 0)
            {
                yield return () => SetField(name, "[]", "empty array");
            }

            if (type == "string" && schema.MaxLength is { } maxLength and <= 20_000)
            {
                yield return () => SetField(name, TooLong(schema, maxLength), $"longer than {maxLength}");
            }

            if (schema.Enum.Count > 0)
            {
                yield return () => SetField(name, schema.Enum[0] is JsonValue v && v.GetValueKind() == JsonValueKind.Number
                    ? "24" : QuoteText(BadEnumText(schema)), "not one of its values");
            }

            if (schema.Pattern is not null)
            {
                yield return () => SetField(name, Quote(Uri.UnescapeDataString(random.Pick(BadSlugs))), "breaks its pattern");
            }

            if (type == "integer")
            {
                yield return () => SetField(name, BadInteger(schema), "not an integer in range");
            }

            if (schema.Format == "byte")
            {
                yield return () => SetField(name, Quote(random.Pick(BadBase64)), "not standard padded base64");
            }

            if (schema.Format == "email")
            {
                yield return () => SetField(name, Quote(random.Pick(BadEmails)), "not an e-mail address");
            }

            if (type == "array" && schema.Items is { } items)
            {
                if (schema.MaxItems is { } maxItems and <= 1000)
                {
                    yield return () => SetField(name, TooManyItems(name, items, maxItems), $"more than {maxItems} items", prefix: name);
                }

                if (!operation.ItemsFailAlone)
                {
                    yield return () => SetField(name, ArrayWithBadItem(name, items), "an invalid item", prefix: name);
                }
            }
        }

        private (string, Expectation) SetField(string name, string json, string what, string? message = null, string? prefix = null) =>
            SetField(name, Encoding.UTF8.GetBytes(json), what, message, prefix);

        private (string, Expectation) SetField(string name, byte[] json, string what, string? message = null, string? prefix = null)
        {
            int at = _members!.FindIndex(m => m.Name == name);
            _members.RemoveAll(m => m.Name == name);
            _members.Insert(at < 0 ? random.Int(0, _members.Count) : at, NewMember(name, json));
            string shown = json.Length > 60 ? Encoding.UTF8.GetString(json[..60]) + $"… ({json.Length} bytes)" : Encoding.UTF8.GetString(json);
            return ($"'{name}' {what}: {shown}", Expectation.Validation(prefix ?? name, message) with { FieldIsPrefix = prefix is not null });
        }

        private static string[] WrongTypes(string type) => type switch
        {
            "string" => ["123", "true", "[]", "{}", "[\"x\"]", "1.5", "-0"],
            "integer" => ["\"5\"", "true", "1.5", "[]", "{}", "\"\""],
            "number" => ["\"5\"", "true", "[]", "{}"],
            "boolean" => ["\"true\"", "1", "0", "[]", "{}", "\"false\""],
            "array" => ["\"x\"", "{}", "1", "true"],
            "object" => ["\"x\"", "[]", "1", "false"],
            _ => [],
        };

        private string TooLong(Schema schema, int maxLength)
        {
            if (schema.Format == "byte")
            {
                // Base64 of more bytes than maxLength characters can carry: over the decoded limit too.
                return QuoteText(Convert.ToBase64String(random.Bytes(maxLength / 4 * 3 + 3)));
            }

            if (schema.Format == "email")
            {
                return QuoteText(new string('a', maxLength) + "@example.com");
            }

            return QuoteText(schema.Pattern is null ? new string('a', maxLength + random.Int(1, 20)) : random.Slug(maxLength + 1, maxLength + 20));
        }

        private string BadInteger(Schema schema)
        {
            var options = new List<string> { "1.5", "1e400", "99999999999999999999999" };
            if (schema.Minimum is { } min)
            {
                options.Add((min - 1).ToString(System.Globalization.CultureInfo.InvariantCulture));
            }

            if (schema.Maximum is { } max && max < long.MaxValue)
            {
                options.Add((max + 1).ToString(System.Globalization.CultureInfo.InvariantCulture));
            }

            return random.Pick(options);
        }

        private string BadEnumText(Schema schema)
        {
            string first = schema.Enum[0].ToString();
            return random.Pick([first.ToUpperInvariant() == first ? first.ToLowerInvariant() : first.ToUpperInvariant(), first + " ", " " + first, first + "x", "unknown", "\u00e9"]);
        }

        private byte[] TooManyItems(string name, Schema items, int maxItems)
        {
            byte[] one = ValidJson(name, items, 1);
            var array = new List<byte> { (byte)'[' };
            for (int i = 0; i <= maxItems; i++)
            {
                if (i > 0)
                {
                    array.Add((byte)',');
                }

                array.AddRange(one);
            }

            array.Add((byte)']');
            return [.. array];
        }

        private byte[] ArrayWithBadItem(string name, Schema items)
        {
            byte[] bad;
            if (items.Type == "object" && items.Properties.Count > 0)
            {
                (string field, Schema schema) = random.Pick(items.Properties.Where(p => items.Required.Contains(p.Name)).DefaultIfEmpty(items.Properties[0]).ToList());
                string value = field == "ipAddress" ? QuoteText(random.Pick(BadIps)) : random.Pick(WrongTypes(schema.Type).DefaultIfEmpty("null").ToList());
                var members = items.Properties.Where(p => items.Required.Contains(p.Name) && p.Name != field)
                    .Select(p => Encoding.UTF8.GetString(Serialize([NewMember(p.Name, ValidJson(p.Name, p.Schema, 2))]))[1..^1])
                    .Append($"\"{field}\":{value}");
                bad = Encoding.UTF8.GetBytes("{" + string.Join(',', members) + "}");
            }
            else
            {
                bad = Encoding.UTF8.GetBytes(items.Format == "uuid" ? QuoteText(NotAUuid()) : random.Pick(WrongTypes(items.Type).DefaultIfEmpty("null").ToList()));
            }

            byte[] good = ValidJson(name, items, 1);
            return [.. "["u8, .. good, .. ","u8, .. bad, .. "]"u8];
        }

        // ----- Valid values -----

        private byte[] ValidJson(string name, Schema schema, int depth)
        {
            if (schema.Enum.Count > 0)
            {
                return Encoding.UTF8.GetBytes(random.Pick(schema.Enum).ToJsonString());
            }

            switch (schema.Type)
            {
                case "string":
                    return Quote(ValidText(name, schema));
                case "integer":
                case "number":
                    long min = schema.Minimum ?? 0;
                    long max = Math.Min(schema.Maximum ?? 1000, min + 1000);
                    return Encoding.ASCII.GetBytes(random.Long(min, max).ToString(System.Globalization.CultureInfo.InvariantCulture));
                case "boolean":
                    return random.Chance(50) ? "true"u8.ToArray() : "false"u8.ToArray();
                case "array":
                    int count = random.Int(Math.Max(schema.MinItems ?? 0, 1), Math.Min(schema.MaxItems ?? 3, 3));
                    var items = Enumerable.Range(0, count).Select(_ => Encoding.UTF8.GetString(ValidJson(name, schema.Items!, depth + 1)));
                    return Encoding.UTF8.GetBytes("[" + string.Join(',', items) + "]");
                case "object":
                    var members = schema.Properties
                        .Where(p => schema.Required.Contains(p.Name) || random.Chance(50))
                        .Select(p => NewMember(p.Name, ValidJson(p.Name, p.Schema, depth + 1)))
                        .ToList();
                    return Serialize(members);
                default:
                    return AnyJson(depth);
            }
        }

        /// <summary>Text that passes the field's rules, naming a fixture object where the field is an ID.</summary>
        private string ValidText(string name, Schema schema)
        {
            switch (name)
            {
                case "projectId": return server.ProjectId;
                case "organizationId": return server.OrganizationId;
                case "keyId" or "keyIds": return _key.Id;
                case "keyName": return _key.Name;
                case "identityId" or "actorId": return server.IdentityId;
                case "userId": return server.AdminUserId;
                case "clientSecretId": return server.ClientSecretId;
                case "clientId": return server.ClientId;
                case "ciphertext": return random.Chance(70) ? server.Ciphertext : Convert.ToBase64String(random.Bytes(random.Int(0, 64)));
                case "ipAddress": return random.Pick(GoodIps);
                case "email": return $"fuzz-{random.Word()}@example.com";
                case "password": return random.Text(12, 40);
                default: break;
            }

            int minLength = schema.MinLength ?? 0;
            int maxLength = schema.MaxLength ?? 40;
            return schema.Format switch
            {
                "uuid" => random.Guid().ToString(),
                "byte" => Convert.ToBase64String(random.Bytes(random.Int(0, Math.Min(48, maxLength / 4 * 3)))),
                "date-time" => name.StartsWith("end", StringComparison.Ordinal) ? "2026-12-31T23:59:59Z" : "2026-01-01T00:00:00Z",
                _ when schema.Pattern is not null => random.Slug(Math.Max(minLength, 1), Math.Min(maxLength, 24)),
                _ => random.Text(minLength, Math.Max(minLength, Math.Min(maxLength, 40))),
            };
        }

        private string ValidQueryText(ApiParameter parameter)
        {
            Schema schema = parameter.Schema;
            if (schema.Enum.Count > 0)
            {
                return schema.Enum[random.Int(0, schema.Enum.Count - 1)].ToString();
            }

            if (schema.Type == "integer")
            {
                long min = schema.Minimum ?? 0;
                return random.Long(min, Math.Min(schema.Maximum ?? 100, min + 100)).ToString(System.Globalization.CultureInfo.InvariantCulture);
            }

            return ValidText(parameter.Name, schema);
        }

        /// <summary>Any valid JSON value, small, with text in any script.</summary>
        private byte[] AnyJson(int depth) => random.Int(0, depth > 2 ? 4 : 6) switch
        {
            0 => "null"u8.ToArray(),
            1 => random.Chance(50) ? "true"u8.ToArray() : "false"u8.ToArray(),
            2 => Encoding.ASCII.GetBytes(random.Long(-1_000_000, 1_000_000).ToString(System.Globalization.CultureInfo.InvariantCulture)),
            3 or 4 => Quote(random.Text(0, 30)),
            5 => Encoding.UTF8.GetBytes("[" + string.Join(',', Enumerable.Range(0, random.Int(0, 3)).Select(_ => Encoding.UTF8.GetString(AnyJson(depth + 1)))) + "]"),
            _ => Serialize(Enumerable.Range(0, random.Int(0, 3)).Select(_ => NewMember(UnknownName(), AnyJson(depth + 1))).ToList()),
        };

        private string UnknownName()
        {
            var documented = operation.Body?.Properties.Select(p => p.Name).ToHashSet() ?? [];
            string name;
            do
            {
                name = random.Chance(30) && documented.Count > 0
                    ? random.Pick(documented.ToList()).ToUpperInvariant()   // a differently-cased name is unknown (spec §1.2)
                    : random.Pick(["keyId", "fuzz", "extra", "__proto__", "constructor", "$ref", "", "名前", "a b", "🔑"]) + random.Word();
            }
            while (documented.Contains(name));

            return name;
        }

        private byte[] Quote(string text) => JsonSerializer.SerializeToUtf8Bytes(text, random.Chance(50) ? RawUtf8 : JsonSerializerOptions.Default);

        private string QuoteText(string text) => Encoding.UTF8.GetString(Quote(text));

        private Member NewMember(string name, byte[] value) => new(name, Quote(name), value);

        private byte[] Serialize(IReadOnlyList<Member> members)
        {
            bool spaced = random.Chance(20);
            byte[] gap = spaced ? Encoding.ASCII.GetBytes(random.Pick([" ", "\n", "\r\n\t", "  "])) : [];
            var body = new List<byte>(members.Sum(m => m.RawName.Length + m.Value.Length + 4) + 2) { (byte)'{' };
            for (int i = 0; i < members.Count; i++)
            {
                if (i > 0)
                {
                    body.Add((byte)',');
                }

                body.AddRange(gap);
                body.AddRange(members[i].RawName);
                body.Add((byte)':');
                body.AddRange(gap);
                body.AddRange(members[i].Value);
            }

            body.AddRange(gap);
            body.Add((byte)'}');
            return [.. body];
        }

        private static bool IsId(string name) => name.EndsWith("Id", StringComparison.Ordinal);
    }
}
