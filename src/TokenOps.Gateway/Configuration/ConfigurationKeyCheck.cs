using System.Collections;
using System.ComponentModel;
using System.Globalization;
using System.Reflection;
using Microsoft.Extensions.Configuration;

namespace TokenOps.Gateway.Configuration;

/// <summary>
/// Checks tokenops.json against the options' shape before the binder sees it, so a misspelt key or a value of the wrong
/// kind is one line in the user's words ("budgets.teams.core.peroid is not a setting; did you mean 'period'?") instead of
/// the binder's ("'ErrorOnUnknownConfiguration' was set on the provided BinderOptions ..."). Whatever this check lets
/// through, the binder still checks.
/// </summary>
internal static class ConfigurationKeyCheck
{
    public static void Check(IConfiguration root, Type options, string source)
    {
        foreach (var child in root.GetChildren()) CheckSection(child, options, source);
    }

    private static void CheckSection(IConfigurationSection section, Type owner, string source)
    {
        var properties = Settable(owner);
        var property = properties.FirstOrDefault(p => string.Equals(p.Name, section.Key, StringComparison.OrdinalIgnoreCase));
        if (property is null)
        {
            var closest = Closest(section.Key, properties.Select(p => Camel(p.Name)));
            throw new ConfigurationException($"{source}: {Display(section.Path)} is not a setting{(closest is null ? "" : $"; did you mean '{closest}'?")}");
        }
        CheckValue(section, property.PropertyType, source);
    }

    private static void CheckValue(IConfigurationSection section, Type type, string source)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (IsScalar(type))
        {
            if (section.GetChildren().Any())
                throw new ConfigurationException($"{source}: {Display(section.Path)} must be {Kind(type)}, not an object or a list");
            if (section.Value is { } value && !Converts(value, type))
                throw new ConfigurationException($"{source}: {Display(section.Path)} must be {Kind(type)}, not \"{value}\"");
            return;
        }
        if (section.Value is { Length: > 0 } scalar && !section.GetChildren().Any())
            throw new ConfigurationException($"{source}: {Display(section.Path)} must be {(ListItem(type) is null ? "an object" : "a list")}, not \"{scalar}\"");
        if (DictionaryValue(type) is { } valueType)
        {
            foreach (var entry in section.GetChildren()) CheckValue(entry, valueType, source);
            return;
        }
        if (ListItem(type) is { } itemType)
        {
            foreach (var item in section.GetChildren())
            {
                if (!int.TryParse(item.Key, NumberStyles.None, CultureInfo.InvariantCulture, out _))
                    throw new ConfigurationException($"{source}: {Display(section.Path)} must be a list");
                CheckValue(item, itemType, source);
            }
            return;
        }
        if (type.IsClass && type != typeof(object))
        {
            foreach (var child in section.GetChildren()) CheckSection(child, type, source);
        }
    }

    private static PropertyInfo[] Settable(Type type) => type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
        .Where(p => p.GetIndexParameters().Length == 0 && (p.CanWrite || DictionaryValue(p.PropertyType) is not null || ListItem(p.PropertyType) is not null))
        .ToArray();

    private static bool IsScalar(Type type) => type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(decimal)
        || type == typeof(DateTimeOffset) || type == typeof(DateTime) || type == typeof(TimeSpan) || type == typeof(Uri) || type == typeof(Guid);

    private static Type? DictionaryValue(Type type) =>
        type.IsGenericType && type.GetGenericTypeDefinition() is var d && (d == typeof(Dictionary<,>) || d == typeof(IDictionary<,>) || d == typeof(IReadOnlyDictionary<,>))
            && type.GetGenericArguments()[0] == typeof(string) ? type.GetGenericArguments()[1] : null;

    private static Type? ListItem(Type type)
    {
        if (type.IsArray) return type.GetElementType();
        if (type == typeof(string) || !typeof(IEnumerable).IsAssignableFrom(type) || !type.IsGenericType) return null;
        var d = type.GetGenericTypeDefinition();
        return d == typeof(List<>) || d == typeof(IList<>) || d == typeof(IReadOnlyList<>) || d == typeof(IEnumerable<>) ? type.GetGenericArguments()[0] : null;
    }

    private static bool Converts(string value, Type type)
    {
        if (type == typeof(string)) return true;
        if (type.IsEnum) return Enum.TryParse(type, value, ignoreCase: true, out _);
        try
        {
            TypeDescriptor.GetConverter(type).ConvertFromInvariantString(value);
            return true;
        }
        catch (Exception ex) when (ex is FormatException or NotSupportedException or ArgumentException or OverflowException)
        {
            return false;
        }
    }

    private static string Kind(Type type) => type switch
    {
        _ when type == typeof(bool) => "true or false",
        _ when type == typeof(int) || type == typeof(long) || type == typeof(short) => "a whole number",
        _ when type == typeof(decimal) || type == typeof(double) || type == typeof(float) => "a number",
        _ when type.IsEnum => "one of " + string.Join(", ", Enum.GetNames(type).Select(Camel)),
        _ when type == typeof(DateTimeOffset) || type == typeof(DateTime) => "a date and time (ISO 8601)",
        _ when type == typeof(TimeSpan) => "a duration (hh:mm:ss)",
        _ => "text",
    };

    /// <summary>The closest sibling name within a third of the key's length (at least 2 edits), if any.</summary>
    internal static string? Closest(string key, IEnumerable<string> names)
    {
        string? best = null;
        var bestDistance = Math.Max(2, key.Length / 3) + 1;
        foreach (var name in names)
        {
            var distance = Distance(key.ToLowerInvariant(), name.ToLowerInvariant());
            if (distance < bestDistance) (best, bestDistance) = (name, distance);
        }
        return best;
    }

    /// <summary>Optimal string alignment distance: insertions, deletions, substitutions and swaps of neighbours ("peroid").</summary>
    private static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (var j = 0; j <= b.Length; j++) d[0, j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
            }
        }
        return d[a.Length, b.Length];
    }

    private static string Camel(string name) => name.Length == 0 ? name : char.ToLowerInvariant(name[0]) + name[1..];

    private static string Display(string path) => path.Replace(ConfigurationPath.KeyDelimiter, ".", StringComparison.Ordinal);
}
