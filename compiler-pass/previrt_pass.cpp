//===- previrt_pass.cpp - mark sensitive inline-asm instructions --------===//
//
// FILE:  compiler-pass/previrt_pass.cpp
// RUNS:  compiler: loaded into clang-16 (new pass manager plugin).
// USAGE: clang-16 --target=i386-pc-none-elf -O2 \
//          -fpass-plugin=build/compiler-pass/previrt-pass.so -c foo.c
//        opt-16 -load-pass-plugin=previrt-pass.so -passes=previrt x.ll
//
// Registration and the IR walk only: every call/callbr/invoke of an
// InlineAsm and the module-level asm get their text rewritten by
// pv_asmscan.c (the C scanner), which turns each sensitive instruction
// into a padded site recorded in .previrt.sites.  Runs at the optimizer's
// last extension point (after inlining, at -O0 too) and again at the end
// of full LTO; already-marked text is left alone, so running twice is
// harmless.  Text the scanner cannot read is left unchanged with a
// warning naming the function: the rewriter handles it later.
//===----------------------------------------------------------------------===//

#include "pv_asmscan.h"

#include "llvm/IR/Function.h"
#include "llvm/IR/InlineAsm.h"
#include "llvm/IR/InstIterator.h"
#include "llvm/IR/Instructions.h"
#include "llvm/IR/Module.h"
#include "llvm/IR/PassManager.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Passes/PassPlugin.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/TargetParser/Triple.h"

#include <map>
#include <string>

using namespace llvm;

namespace {

void pvpWarn(StringRef Where, const pvs_result &R)
{
	errs() << "previrt-pass: warning: " << Where << ": " << R.nunmarked
	       << " asm statement(s) left unmarked for the rewriter, first "
	       << R.why << "\n";
}

// Rewritten text of S, or "" when nothing changes.  Warns about
// statements it had to leave unmarked.
std::string pvpRewrite(StringRef S, int Syntax, StringRef Where)
{
	pvs_result R;
	std::string Text = S.str();
	if (pvs_rewrite(Text.c_str(), (pvs_syntax)Syntax, &R) < 0) {
		errs() << "previrt-pass: warning: " << Where
		       << ": out of memory, asm left unmarked\n";
		return "";
	}
	if (R.nunmarked)
		pvpWarn(Where, R);
	std::string Out = R.text ? R.text : "";
	pvs_result_free(&R);
	return Out;
}

class PrevirtPass : public PassInfoMixin<PrevirtPass> {
	std::map<InlineAsm *, InlineAsm *> Done;

	InlineAsm *rewriteAsm(InlineAsm *IA, Function &F)
	{
		auto It = Done.find(IA);
		if (It != Done.end())
			return It->second;
		int Syn = PVS_SYNTAX_IR;
		if (IA->getDialect() == InlineAsm::AD_Intel)
			Syn |= PVS_SYNTAX_INTEL;
		std::string Where = F.getParent()->getSourceFileName() +
				    ": function '" + F.getName().str() + "'";
		std::string Text = pvpRewrite(IA->getAsmString(), Syn, Where);
		InlineAsm *New = IA;
		if (!Text.empty())
			New = InlineAsm::get(IA->getFunctionType(), Text,
					     IA->getConstraintString(),
					     IA->hasSideEffects(),
					     IA->isAlignStack(), IA->getDialect(),
					     IA->canThrow());
		Done[IA] = New;
		Done[New] = New;
		return New;
	}

	bool runOnFunction(Function &F)
	{
		bool Changed = false;
		for (Instruction &I : instructions(F)) {
			auto *CB = dyn_cast<CallBase>(&I);
			if (!CB || !CB->isInlineAsm())
				continue;
			auto *IA = cast<InlineAsm>(CB->getCalledOperand());
			InlineAsm *New = rewriteAsm(IA, F);
			if (New != IA) {
				CB->setCalledOperand(New);
				Changed = true;
			}
		}
		return Changed;
	}

	bool runOnModuleAsm(Module &M)
	{
		if (M.getModuleInlineAsm().empty())
			return false;
		std::string Text = pvpRewrite(M.getModuleInlineAsm(),
					      PVS_SYNTAX_RAW,
					      "module asm of " +
						      M.getModuleIdentifier());
		if (Text.empty())
			return false;
		M.setModuleInlineAsm(Text);
		return true;
	}

public:
	PreservedAnalyses run(Module &M, ModuleAnalysisManager &)
	{
		// The site ABI is IA-32 only (32-bit addresses, i386 code).
		if (Triple(M.getTargetTriple()).getArch() != Triple::x86) {
			errs() << "previrt-pass: warning: " << M.getSourceFileName()
			       << ": target " << M.getTargetTriple()
			       << " is not i386, nothing marked\n";
			return PreservedAnalyses::all();
		}
		bool Changed = runOnModuleAsm(M);
		for (Function &F : M)
			Changed |= runOnFunction(F);
		// Only callee operands of asm calls change (and the site-table
		// globals are added): no block or edge does, so the CFG
		// analyses stay valid; everything else is recomputed.
		if (!Changed)
			return PreservedAnalyses::all();
		PreservedAnalyses PA;
		PA.preserveSet<CFGAnalyses>();
		return PA;
	}

	static bool isRequired() { return true; }
};

void pvpRegister(PassBuilder &PB)
{
	PB.registerOptimizerLastEPCallback(
		[](ModulePassManager &MPM, OptimizationLevel) {
			MPM.addPass(PrevirtPass());
		});
	PB.registerFullLinkTimeOptimizationLastEPCallback(
		[](ModulePassManager &MPM, OptimizationLevel) {
			MPM.addPass(PrevirtPass());
		});
	PB.registerPipelineParsingCallback(
		[](StringRef Name, ModulePassManager &MPM,
		   ArrayRef<PassBuilder::PipelineElement>) {
			if (Name != "previrt")
				return false;
			MPM.addPass(PrevirtPass());
			return true;
		});
}

} // namespace

extern "C" LLVM_ATTRIBUTE_WEAK PassPluginLibraryInfo llvmGetPassPluginInfo()
{
	return { LLVM_PLUGIN_API_VERSION, "previrt", "0.1", pvpRegister };
}
