using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using InfisicalKms.Core;
using InfisicalKms.Core.Errors;

namespace InfisicalKms.Web.Api;

/// <summary>
/// Step 4 of spec §1.8: reads fields from the path, query and JSON body and collects the first failure of
/// each field, with the exact messages of spec §4. Call in the order of the route's table, then
/// <see cref="ThrowIfInvalid"/>.
/// </summary>
/// <remarks>
/// Body and query fields are read only through a validator bound to the route's documented contract
/// (<see cref="For"/>, and <see cref="ForItems"/> for a batch's items); a field the contract does not name is
/// refused with <see cref="InvalidOperationException"/>. A validator made with <c>new</c> checks path values only.
/// </remarks>
public sealed partial class RequestValidator
{
    private readonly List<ValidationIssue> _issues = [];
    private readonly HttpContext? _http;
    private readonly RequestContract? _contract;
    private readonly string _prefix;

    public RequestValidator()
        : this(null, null, "")
    {
    }

    private RequestValidator(HttpContext? http, RequestContract? contract, string prefix)
    {
        _http = http;
        _contract = contract;
        _prefix = prefix;
    }

    /// <summary>A validator for the route <paramref name="http"/> is on, bound to that route's contract.</summary>
    public static RequestValidator For(HttpContext http) => new(http, RequestContract.For(http.GetEndpoint()), "");

    /// <summary>A validator for a body of type <typeparamref name="TBody"/> read outside a request (the web UI's import dialog).</summary>
    public static RequestValidator ForBody<TBody>() => new(null, RequestContract.ForBody<TBody>(), "");

    /// <summary>A validator for one element of the array <paramref name="field"/>, with field names relative to the element.</summary>
    public RequestValidator ForItems(string field) => new(null, _contract, $"{_prefix}{field}[].");

    /// <summary>A query parameter's raw text, or null when absent.</summary>
    public string? Query(string name)
    {
        Contract().RequireQuery(name);
        return _http!.Request.Query[name].FirstOrDefault();
    }

    public bool IsValid => _issues.Count == 0;

    public IReadOnlyList<ValidationIssue> Issues => _issues;

    public bool Failed(string field) => _issues.Any(i => i.Field == field);

    public void Fail(string field, string message)
    {
        if (!Failed(field))
        {
            _issues.Add(new ValidationIssue(field, message));
        }
    }

    public void ThrowIfInvalid()
    {
        if (_issues.Count > 0)
        {
            throw new KmsValidationException(_issues);
        }
    }

    /// <summary>A UUID path or query value (either case).</summary>
    public Guid Uuid(string field, string? text)
    {
        if (Uuids.TryParse(text, out Guid id))
        {
            return id;
        }

        Fail(field, text is null ? "Required" : "Invalid uuid");
        return Guid.Empty;
    }

    /// <summary>A JSON value, or null when absent or <c>null</c> (then <c>Required</c> if it must be present).</summary>
    /// <param name="field">The reported path; the member read is its last segment (<c>keys[3].keyMaterial</c> reads <c>keyMaterial</c>).</param>
    public JsonElement? Value(JsonElement body, string field, bool required)
    {
        Contract().RequireBodyField(_prefix + field);
        if (body.TryGetProperty(field[(field.LastIndexOf('.') + 1)..], out JsonElement value) && value.ValueKind != JsonValueKind.Null)
        {
            return value;
        }

        if (required)
        {
            Fail(field, "Required");
        }

        return null;
    }

    /// <summary>A trimmed string with optional length bounds.</summary>
    public string? String(JsonElement body, string field, bool required, int? min = null, int? max = null, bool trim = true, string? requiredMessage = null)
    {
        if (Value(body, field, required: false) is not { } value)
        {
            if (required)
            {
                Fail(field, requiredMessage ?? "Required");
            }

            return null;
        }

        if (Text(field, value) is not { } raw)
        {
            return null;
        }

        string text = trim ? raw.Trim() : raw;
        return CheckLength(field, text, min, max) ? text : null;
    }

    /// <summary>A JSON string's text; fails the field when the value is not a string or not valid Unicode.</summary>
    /// <remarks>
    /// <see cref="RequestBody"/> already refuses a body with an unpaired surrogate escape, but not inside a
    /// batch's items, which are validated one by one: this is where such an item fails, never with a 500.
    /// </remarks>
    public string? Text(string field, JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.String)
        {
            Fail(field, TypeMessage("string", value));
            return null;
        }

        try
        {
            return value.GetString()!;
        }
        catch (InvalidOperationException)
        {
            Fail(field, JsonUnicode.UnpairedSurrogate);
            return null;
        }
    }

    public bool CheckLength(string field, string text, int? min, int? max)
    {
        if (min is { } lo && text.Length < lo)
        {
            Fail(field, $"String must contain at least {lo} character(s)");
            return false;
        }

        if (max is { } hi && text.Length > hi)
        {
            Fail(field, $"String must contain at most {hi} character(s)");
            return false;
        }

        return true;
    }

    /// <summary>A slug (spec §4.2) with its own messages, e.g. <c>Name field must be at most 32 lowercase characters</c>.</summary>
    public string? Slug(JsonElement body, string field, string label, int min, int max, bool required)
    {
        string? text = String(body, field, required);
        return text is null ? null : CheckSlug(field, text, label, min, max);
    }

    public string? CheckSlug(string field, string text, string label, int min, int max)
    {
        if (SlugRule.Check(text, label, min, max) is { } message)
        {
            Fail(field, message);
            return null;
        }

        return text;
    }

    public bool? Boolean(JsonElement body, string field, bool required = false)
    {
        if (Value(body, field, required) is not { } value)
        {
            return null;
        }

        if (value.ValueKind is JsonValueKind.True or JsonValueKind.False)
        {
            return value.GetBoolean();
        }

        Fail(field, TypeMessage("boolean", value));
        return null;
    }

    public long? Integer(JsonElement body, string field, bool required, long min, long max)
    {
        if (Value(body, field, required) is not { } value)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Number)
        {
            Fail(field, TypeMessage("number", value));
            return null;
        }

        if (!value.TryGetDouble(out double number) || number != Math.Floor(number) || double.IsInfinity(number))
        {
            Fail(field, "Expected integer, received float");
            return null;
        }

        return CheckRange(field, number, min, max) ? (long)number : null;
    }

    /// <summary>A numeric query parameter, e.g. <c>limit</c>: decimal digits with an optional sign and fraction, nothing else.</summary>
    /// <remarks>No whitespace, exponent, hexadecimal, <c>+</c>, <c>Infinity</c> or <c>NaN</c>: <c>limit=" 5"</c> is refused.</remarks>
    public int QueryInteger(string field, string? text, int fallback, int min, int max)
    {
        if (text is null)
        {
            return fallback;
        }

        if (!DecimalNumber().IsMatch(text)
            || !double.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double number))
        {
            Fail(field, "Expected number, received nan");
            return fallback;
        }

        if (number != Math.Floor(number) || double.IsInfinity(number))
        {
            Fail(field, "Expected integer, received float");
            return fallback;
        }

        return CheckRange(field, number, min, max) ? (int)number : fallback;
    }

    /// <summary>A JSON array with a length between <paramref name="min"/> and <paramref name="max"/>.</summary>
    public JsonElement? Array(JsonElement body, string field, bool required, int min, int max)
    {
        if (Value(body, field, required) is not { } value)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Array)
        {
            Fail(field, TypeMessage("array", value));
            return null;
        }

        int count = value.GetArrayLength();
        if (count < min)
        {
            Fail(field, $"Array must contain at least {min} element(s)");
            return null;
        }

        if (count > max)
        {
            Fail(field, $"Array must contain at most {max} element(s)");
            return null;
        }

        return value;
    }

    public TEnum? Enum<TEnum>(JsonElement body, string field, WireNames<TEnum> names, bool required = false)
        where TEnum : struct, System.Enum =>
        Value(body, field, required) is not { } value ? null
        : Text(field, value) is not { } text ? null
        : EnumText(field, text, names);

    public TEnum? EnumText<TEnum>(string field, string text, WireNames<TEnum> names)
        where TEnum : struct, System.Enum =>
        names.TryParse(text, out TEnum parsed) ? parsed : FailWith<TEnum>(field, names.InvalidValueMessage(text));

    /// <summary>Strict standard base64 (spec §1.4), then the decoded-size limit (spec §4.5).</summary>
    public byte[]? Base64(JsonElement body, string field, bool required, int maxBytes)
    {
        if (Value(body, field, required) is not { } value)
        {
            return null;
        }

        if (Text(field, value) is not { } text)
        {
            return null;
        }

        string name = field[(field.LastIndexOf('.') + 1)..];
        if (!StrictBase64.IsValid(text))
        {
            Fail(field, $"{name} must be base64 encoded");
            return null;
        }

        if (StrictBase64.DecodedLength(text) > maxBytes)
        {
            Fail(field, $"{name} cannot exceed {maxBytes} bytes");
            return null;
        }

        return Convert.FromBase64String(text);
    }

    public static string TypeMessage(string expected, JsonElement value) => $"Expected {expected}, received {JsonTypeName(value)}";

    public static string JsonTypeName(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => "string",
        JsonValueKind.Number => "number",
        JsonValueKind.True or JsonValueKind.False => "boolean",
        JsonValueKind.Array => "array",
        JsonValueKind.Object => "object",
        _ => "null",
    };

    private RequestContract Contract() =>
        _contract ?? throw new InvalidOperationException("Request fields are read through RequestValidator.For(http), bound to the route's contract.");

    [GeneratedRegex(@"^-?[0-9]+(\.[0-9]+)?\z", RegexOptions.CultureInvariant)]
    private static partial Regex DecimalNumber();

    private bool CheckRange(string field, double number, long min, long max)
    {
        if (number < min)
        {
            Fail(field, $"Number must be greater than or equal to {min}");
            return false;
        }

        if (number > max)
        {
            Fail(field, $"Number must be less than or equal to {max}");
            return false;
        }

        return true;
    }

    private TEnum? FailWith<TEnum>(string field, string message)
        where TEnum : struct
    {
        Fail(field, message);
        return null;
    }
}
