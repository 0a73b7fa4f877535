namespace InfisicalKms.Web;

/// <summary>
/// The arguments of one operator command after its name, as every command reads them: words in order
/// (<c>migrate</c>, <c>copy</c>) and options given once each as <c>--name value</c> or <c>--name=value</c>.
/// </summary>
internal sealed record CommandArguments(IReadOnlyList<string> Words, IReadOnlyDictionary<string, string> Options)
{
    /// <summary><c>help</c>, <c>--help</c> or <c>-h</c> anywhere.</summary>
    public bool IsHelp { get; private init; }

    /// <summary>
    /// Splits <paramref name="args"/>; false for an option not in <paramref name="optionNames"/>, an option
    /// given twice, or one without a value.
    /// </summary>
    public static bool TryParse(IReadOnlyList<string> args, IReadOnlyCollection<string> optionNames, out CommandArguments parsed)
    {
        var words = new List<string>();
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        parsed = new CommandArguments(words, options);
        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            if (arg is "help" or "--help" or "-h")
            {
                parsed = parsed with { IsHelp = true };
                continue;
            }

            if (!arg.StartsWith("--", StringComparison.Ordinal))
            {
                words.Add(arg);
                continue;
            }

            (string name, string? value) = arg.Split('=', 2) is [var n, var v] ? (n, v) : (arg, i + 1 < args.Count ? args[++i] : null);
            if (value is null || !optionNames.Contains(name) || !options.TryAdd(name, value))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The words are exactly <paramref name="expected"/>.</summary>
    public bool WordsAre(params string[] expected) => Words.SequenceEqual(expected, StringComparer.Ordinal);

    public string? Option(string name) => Options.GetValueOrDefault(name);
}
