import Checks
import Foundation
import Testing
@testable import Core

/// Every registered check type has a default mapping to each framework, and its typical SOC 2 criteria exist.
@Suite struct FrameworkMappingCoverageTests {
    @Test func everyCheckTypeIsMappedToCriteriaThatExist() {
        #expect(Set(FrameworkMapping.rows.keys) == Set(Catalog.builtIn.checkTypes.map(\.name)))
        for (type, row) in FrameworkMapping.rows {
            for framework in Framework.allCases where framework != .soc2 {
                let ids = row.criteria(in: framework)
                #expect(!ids.isEmpty, "\(type) has no \(framework) criteria")
                for id in ids { #expect(framework.criterion(id)?.id == id, "\(type): \(id) is not a \(framework) criterion") }
            }
        }
    }

    @Test func theCatalogsTypicalSOC2CriteriaAreListed() {
        for type in Catalog.builtIn.checkTypes {
            for id in type.typicalCriteria { #expect(Framework.soc2.criterion(id) != nil, "\(type.name): \(id)") }
        }
    }

}
