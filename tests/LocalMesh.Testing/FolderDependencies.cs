using Mono.Cecil;
using Mono.Cecil.Cil;

namespace LocalMesh.Testing;

/// <summary>
/// Which folders (namespaces) of an assembly use which, read from its compiled code: signatures,
/// fields and every method body, lambdas and state machines counted for the type that wrote them.
/// </summary>
public sealed class FolderDependencies
{
    private readonly string _root;
    private readonly Dictionary<(string From, string To), SortedSet<string>> _edges = [];

    private FolderDependencies(string root) => _root = root;

    /// <summary>Reads the assembly at <paramref name="path"/>; its folders are the namespaces under <paramref name="rootNamespace"/>.</summary>
    public static FolderDependencies Read(string path, string rootNamespace)
    {
        var dependencies = new FolderDependencies(rootNamespace);
        using var assembly = AssemblyDefinition.ReadAssembly(path);
        var module = assembly.MainModule;
        foreach (var type in module.GetTypes())
        {
            var from = dependencies.FolderOf(Outermost(type));
            foreach (var used in Uses(type).Select(Resolve).OfType<TypeDefinition>().Where(used => used.Module == module))
            {
                var to = dependencies.FolderOf(Outermost(used));
                if (to != from)
                {
                    var key = (from, to);
                    if (!dependencies._edges.TryGetValue(key, out var because))
                    {
                        dependencies._edges[key] = because = new(StringComparer.Ordinal);
                    }

                    because.Add($"{Outermost(type).Name} → {Outermost(used).Name}");
                }
            }
        }

        return dependencies;
    }

    /// <summary>Each cycle among the folders (a strongly connected set of two or more), with the type uses that make its edges.</summary>
    public IReadOnlyList<string> Cycles()
    {
        var folders = _edges.Keys.SelectMany(edge => new[] { edge.From, edge.To }).Distinct().Order(StringComparer.Ordinal).ToList();
        var cycles = new List<string>();
        foreach (var component in StronglyConnected(folders).Where(component => component.Count > 1))
        {
            var inside = _edges.Where(edge => component.Contains(edge.Key.From) && component.Contains(edge.Key.To))
                .OrderBy(edge => edge.Key.From, StringComparer.Ordinal).ThenBy(edge => edge.Key.To, StringComparer.Ordinal)
                .Select(edge => $"  {edge.Key.From} → {edge.Key.To}: {string.Join(", ", edge.Value.Take(4))}{(edge.Value.Count > 4 ? $", … ({edge.Value.Count})" : "")}");
            cycles.Add($"{string.Join(" ⇄ ", component.Order(StringComparer.Ordinal))}\n{string.Join('\n', inside)}");
        }

        return cycles;
    }

    private string FolderOf(TypeDefinition type) =>
        type.Namespace == _root ? "(root)" : type.Namespace.StartsWith(_root + ".", StringComparison.Ordinal) ? type.Namespace[(_root.Length + 1)..] : type.Namespace;

    private static TypeDefinition Outermost(TypeDefinition type)
    {
        while (type.DeclaringType is not null)
        {
            type = type.DeclaringType;
        }

        return type;
    }

    private static TypeDefinition? Resolve(TypeReference reference)
    {
        try
        {
            return reference.GetElementType().Resolve();
        }
        catch (AssemblyResolutionException)
        {
            return null;
        }
    }

    /// <summary>Every type <paramref name="type"/> names, generic arguments included.</summary>
    private static IEnumerable<TypeReference> Uses(TypeDefinition type)
    {
        var named = new List<TypeReference>();
        if (type.BaseType is not null)
        {
            named.Add(type.BaseType);
        }

        named.AddRange(type.Interfaces.Select(implemented => implemented.InterfaceType));
        named.AddRange(type.Fields.Select(field => field.FieldType));
        named.AddRange(type.Properties.Select(property => property.PropertyType));
        named.AddRange(type.Events.Select(@event => @event.EventType));
        foreach (var method in type.Methods)
        {
            named.Add(method.ReturnType);
            named.AddRange(method.Parameters.Select(parameter => parameter.ParameterType));
            if (!method.HasBody)
            {
                continue;
            }

            named.AddRange(method.Body.Variables.Select(variable => variable.VariableType));
            foreach (var instruction in method.Body.Instructions)
            {
                switch (instruction.Operand)
                {
                    case TypeReference used:
                        named.Add(used);
                        break;
                    case MethodReference called:
                        named.Add(called.DeclaringType);
                        named.Add(called.ReturnType);
                        named.AddRange(called.Parameters.Select(parameter => parameter.ParameterType));
                        if (called is GenericInstanceMethod generic)
                        {
                            named.AddRange(generic.GenericArguments);
                        }

                        break;
                    case FieldReference field:
                        named.Add(field.DeclaringType);
                        named.Add(field.FieldType);
                        break;
                }
            }
        }

        return named.SelectMany(Unfold);
    }

    /// <summary>A type and the types inside it: element types of arrays and references, generic arguments.</summary>
    private static IEnumerable<TypeReference> Unfold(TypeReference type)
    {
        yield return type;
        if (type is TypeSpecification specification)
        {
            foreach (var inner in Unfold(specification.ElementType))
            {
                yield return inner;
            }
        }

        if (type is GenericInstanceType generic)
        {
            foreach (var inner in generic.GenericArguments.SelectMany(Unfold))
            {
                yield return inner;
            }
        }
    }

    /// <summary>Tarjan's strongly connected components over the folder graph.</summary>
    private List<HashSet<string>> StronglyConnected(IReadOnlyList<string> folders)
    {
        var index = new Dictionary<string, int>();
        var low = new Dictionary<string, int>();
        var stack = new Stack<string>();
        var components = new List<HashSet<string>>();
        foreach (var folder in folders.Where(folder => !index.ContainsKey(folder)))
        {
            Visit(folder);
        }

        return components;

        void Visit(string folder)
        {
            index[folder] = low[folder] = index.Count;
            stack.Push(folder);
            foreach (var next in _edges.Keys.Where(edge => edge.From == folder).Select(edge => edge.To))
            {
                if (!index.ContainsKey(next))
                {
                    Visit(next);
                    low[folder] = Math.Min(low[folder], low[next]);
                }
                else if (stack.Contains(next))
                {
                    low[folder] = Math.Min(low[folder], index[next]);
                }
            }

            if (low[folder] == index[folder])
            {
                var component = new HashSet<string>(StringComparer.Ordinal);
                string member;
                do
                {
                    member = stack.Pop();
                    component.Add(member);
                }
                while (member != folder);
                components.Add(component);
            }
        }
    }
}
